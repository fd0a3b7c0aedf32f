// fedpp: one requester's requests on its objects, one at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace fedpp::party {

/// A party serves requests on many threads, and a computation runs on its
/// objects outside the store's locks: two requests of one requester on the
/// same object (adding to a sum while merging it, reading a model while a
/// computation changes it) would race, and a hostile requester could
/// corrupt the party's memory that way. Each requester touches only its own
/// objects (and the party's published data, which computations only read),
/// so its requests are carried out one after another: lock(requester) for
/// the length of each. One lock per requester, so that no requester waits
/// for another's (a hostile one that names its sessions to share a lock
/// with another's would hold up its requests behind its own slow ones);
/// held only while a request of its is served or waits (no table that grows
/// with the names a peer makes up: at most one entry per request under
/// way).
class RequesterLocks {
    struct Entry {
        std::mutex turn;
        std::size_t requests = 0; // served or waiting
    };
    using Entries = std::map<std::string, Entry, std::less<>>;

public:
    /// One request's turn: held from lock() until it goes.
    class Turn {
    public:
        Turn(RequesterLocks& locks, std::string_view requester) : locks_(locks) {
            {
                const std::lock_guard table(locks_.mutex_);
                entry_ = locks_.entries_.find(requester);
                if (entry_ == locks_.entries_.end()) {
                    entry_ = locks_.entries_.try_emplace(std::string(requester)).first;
                }
                ++entry_->second.requests;
            }
            try {
                entry_->second.turn.lock(); // (outside the table's lock: others come and go meanwhile)
            } catch (...) {
                leave();
                throw;
            }
        }
        Turn(const Turn&) = delete;
        Turn& operator=(const Turn&) = delete;
        ~Turn() {
            entry_->second.turn.unlock();
            leave();
        }

    private:
        void leave() noexcept { // (a mutex that fails to lock ends the process: only the system makes it fail)
            const std::lock_guard table(locks_.mutex_);
            if (--entry_->second.requests == 0) {
                locks_.entries_.erase(entry_);
            }
        }

        RequesterLocks& locks_;
        Entries::iterator entry_;
    };

    [[nodiscard]] Turn lock(std::string_view requester) { return Turn(*this, requester); }

    /// How many requesters have a request served or waiting.
    [[nodiscard]] std::size_t requesters() const {
        const std::lock_guard table(mutex_);
        return entries_.size();
    }

private:
    mutable std::mutex mutex_;
    Entries entries_;
};

} // namespace fedpp::party
