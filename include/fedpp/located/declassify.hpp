// fedpp: declassify, the one sanctioned way around the get() rule.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/located/pointer.hpp"

#include <string_view>

namespace fedpp {

/// Brings a value back from any location, including an untrusted data
/// owner, and records it in the transfer log as a declassification with
/// `reason`. Grep for "declassify" to review every place a data owner's
/// value leaves it.
template <class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>& pointer, std::string_view reason) {
    if (reason.empty()) {
        throw ArgumentError("fedpp::declassify: give the reason the value may leave its owner");
    }
    return detail::PointerAccess::fetch(pointer, TransferKind::declassify, reason);
}

template <class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>&& pointer, std::string_view reason) {
    return declassify(pointer, reason);
}

} // namespace fedpp
