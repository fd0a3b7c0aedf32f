// fedpp: declassify, the one sanctioned way around the get() rule.
//
//     model = fedpp::declassify<"sequential training needs each update back">(std::move(remote_model));
//
// The reason is part of the call's type: a string literal that the compiler
// checks says something, so that every declassification is greppable and
// visible in review, and recorded with its reason in the transfer log.
#pragma once

#include "fedpp/base/fixed_string.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/pointer.hpp"

#include <string_view>

namespace fedpp {

/// Brings a value back from any location, including an untrusted data
/// owner, and records it in the transfer log as a declassification with
/// `Reason`. Grep for "declassify" to review every place a data owner's
/// value leaves it.
template <detail::FixedString Reason, class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>& pointer) {
    static_assert(detail::says_something<Reason>(),
                  "fedpp::declassify<\"reason\">: give the reason the value may leave its owner (not a blank)");
    return detail::PointerAccess::fetch(pointer, TransferKind::declassify, Reason.view());
}

template <detail::FixedString Reason, class T, Location L>
[[nodiscard]] T declassify(Pointer<T, L>&& pointer) {
    return declassify<Reason>(pointer);
}

} // namespace fedpp
