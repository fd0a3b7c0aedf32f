// fedpp: who asks a party, and what a request names.
#pragma once

#include "fedpp/transport/request.hpp"

#include <string>
#include <string_view>

namespace fedpp::party {

/// An object a request names: its id, and the type the requester expects.
struct NamedObject {
    ObjectId id = 0;
    std::string type;
};

/// Who asks: a requester is the name in its certificate, and, when it sent
/// one, its session ("bob", "me#3f9a..."): a model owner that restarts is a
/// new session, and what the old one left behind expires with its lease.
inline std::string_view name_of(std::string_view requester) noexcept {
    return requester.substr(0, requester.find('#'));
}

} // namespace fedpp::party
