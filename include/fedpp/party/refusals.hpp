// fedpp: how a party refuses a request: a PermissionDeniedError to the
// requester, and the same line in the party's log (one line of printable
// text, whatever the requester sent: printable()).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/party/requester.hpp"

#include <cstdio>
#include <functional>
#include <string>
#include <utility>

namespace fedpp::party {

class Refusals {
public:
    using Log = std::function<void(const std::string&)>;

    /// A log that writes each line to standard error.
    static Log standard_error() {
        return [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    }

    /// The refusals of party `party`, written to `log`.
    Refusals(std::string party, Log log) : party_(std::move(party)), log_(std::move(log)) {}

    /// The line that refuses `what`, asked by requester `peer`.
    [[nodiscard]] std::string line(const std::string& peer, const std::string& what) const {
        return "fedpp party '" + party_ + "': refused " + printable(what, 1000) + ", asked by '" +
               printable(peer, 200) + "'";
    }

    /// Logs the refusal of `what` (the caller throws its own error).
    void log(const std::string& peer, const std::string& what) const { log_(line(peer, what)); }

    /// PermissionDeniedError, and its line in the log.
    [[noreturn]] void deny(const std::string& peer, const std::string& what) const {
        const std::string refused = line(peer, what);
        log_(refused);
        throw PermissionDeniedError(refused);
    }

private:
    std::string party_;
    Log log_;
};

} // namespace fedpp::party
