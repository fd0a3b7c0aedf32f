// fedpp: one requester's requests on its objects, one at a time.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string_view>

namespace fedpp::party {

/// A party serves requests on many threads, and a computation runs on its
/// objects outside the store's locks: two requests of one requester on the
/// same object (adding to a sum while merging it, reading a model while a
/// computation changes it) would race, and a hostile requester could
/// corrupt the party's memory that way. Each requester touches only its own
/// objects (and the party's published data, which computations only read),
/// so its requests are carried out one after another: lock(requester) for
/// the length of each. Requesters share 64 locks by their names' hash (no
/// table that grows with the names a peer makes up), so two may now and
/// then wait for each other; they never wait for themselves.
class RequesterLocks {
public:
    [[nodiscard]] std::unique_lock<std::mutex> lock(std::string_view requester) {
        return std::unique_lock(stripes_[std::hash<std::string_view>{}(requester) % stripes_.size()]);
    }

private:
    std::array<std::mutex, 64> stripes_;
};

} // namespace fedpp::party
