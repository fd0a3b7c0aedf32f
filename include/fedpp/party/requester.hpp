// fedpp: who asks a party, what a request names, and how a transport
// settles a request that makes an object.
#pragma once

#include "fedpp/base/function_ref.hpp"
#include "fedpp/transport/request.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace fedpp::detail {
/// What a Settlement does by default.
inline constexpr auto carry_out = [] {};
inline constexpr auto keep_made = [](ObjectId) {};
} // namespace fedpp::detail

namespace fedpp::party {

/// An object a request names: its id, and the type the requester expects.
struct NamedObject {
    ObjectId id = 0;
    std::string type;
};

/// How a transport settles a request that makes an object for its
/// requester (Host::copy, Host::execute), so that its requester, if no
/// answer reaches it, can learn what became of it: `start()` once it is the
/// request's turn (throws to not carry it out), `accept(id)` once its object
/// `id` (0: none) is made and recorded (throws to not keep it: it is
/// deleted). By default, every request is carried out and kept. Its
/// members refer to callables, which must outlive it: name them, or build
/// the Settlement in the call that uses it (never keep one made from
/// temporary lambdas).
struct Settlement {
    fedpp::detail::FunctionRef<void()> start = fedpp::detail::carry_out;
    fedpp::detail::FunctionRef<void(ObjectId)> accept = fedpp::detail::keep_made;
};

/// Who asks: a requester is the name in its certificate, and, when it sent
/// one, its session ("bob", "me#3f9a..."): a model owner that restarts is a
/// new session, and what the old one left behind expires with its lease.
inline std::string_view name_of(std::string_view requester) noexcept {
    return requester.substr(0, requester.find('#'));
}

/// `text`, cut after `limit` bytes with "...".
inline std::string cut(std::string_view text, std::size_t limit) {
    return text.size() <= limit ? std::string(text) : std::string(text.substr(0, limit)) + "...";
}

/// A requester's string (its session, a destination, a computation's name)
/// as a party shows it in its log and its refusals: one line of printable
/// ASCII, each other byte and the backslash as \xNN, cut after `limit`
/// bytes with "...", so that nothing a requester sends forges or floods a
/// log line, or looks like what it is not.
inline std::string printable(std::string_view text, std::size_t limit = 200) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string shown;
    shown.reserve(text.size() < limit ? text.size() : limit);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == limit) {
            shown += "...";
            break;
        }
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte > 0x7e || byte == '\\') {
            shown += {'\\', 'x', digits[byte >> 4], digits[byte & 0xf]};
        } else {
            shown.push_back(static_cast<char>(byte));
        }
    }
    return shown;
}

} // namespace fedpp::party
