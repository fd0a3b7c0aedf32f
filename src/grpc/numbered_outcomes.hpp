// fedpp::grpc internals: what a party remembers of the operations its peers
// numbered (a value sent to it, a move it was asked for), so that a peer
// that got no answer can ask what became of one: each number, by its
// peer's certificate name, pending until it settles, then its outcome,
// remembered for a while. Arrivals and Departures are its two uses.
#pragma once

#include <fedpp/base/function_ref.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace fedpp::grpc::detail {

template <class Outcome>
class NumberedOutcomes {
public:
    using Clock = std::chrono::steady_clock;

    /// At most this many settled numbers are remembered for one peer, the
    /// oldest going first, so that a peer that numbers everything, or asks
    /// about made-up numbers, holds a bounded part of this party's memory.
    /// Pending numbers are never forgotten (there are at most as many as
    /// calls being served).
    static constexpr std::size_t max_settled_per_peer = 100000;

    /// At most this many questions of one peer wait at once for a number
    /// to settle (each holds a server thread); more are answered at once
    /// (wait_settled_locked: `crowded`).
    static constexpr int max_waiting_per_peer = 4;

    /// Settled numbers are remembered for `memory` from when they settled
    /// (ServerOptions::forward_memory).
    explicit NumberedOutcomes(std::chrono::milliseconds memory) noexcept : memory_(memory) {}

    /// Forgets the settled numbers older than the memory.
    void expire(Clock::time_point now = Clock::now()) {
        const std::lock_guard lock(mutex_);
        for (auto of = peers_.begin(); of != peers_.end();) {
            prune_locked(of->second, now);
            of = of->second.entries.empty() ? peers_.erase(of) : std::next(of);
        }
    }

    /// How many questions of `peer` wait now.
    [[nodiscard]] int waiting(const std::string& peer) {
        const std::lock_guard lock(mutex_);
        const auto it = waiting_.find(peer);
        return it == waiting_.end() ? 0 : it->second;
    }

protected:
    struct Entry {
        bool pending = true;
        Outcome outcome{};
    };

    /// A new pending entry for `peer`'s `number`, or nullptr if that number
    /// is remembered already (it came before, or was asked about).
    Entry* begin_locked(const std::string& peer, std::uint64_t number) {
        const auto [it, inserted] = peers_[peer].entries.emplace(number, Entry{});
        return inserted ? &it->second : nullptr;
    }

    /// `peer`'s `number`, or nullptr if it is not remembered.
    Entry* find_locked(const std::string& peer, std::uint64_t number) {
        const auto of = peers_.find(peer);
        if (of == peers_.end()) {
            return nullptr;
        }
        const auto it = of->second.entries.find(number);
        return it == of->second.entries.end() ? nullptr : &it->second;
    }

    /// `peer`'s `number`, a new pending one if it is not remembered.
    Entry& entry_locked(const std::string& peer, std::uint64_t number) {
        return peers_[peer].entries.emplace(number, Entry{}).first->second;
    }

    /// Pending `entry` (`peer`'s `number`) settles with `outcome`; other
    /// settled numbers of `peer`'s may be forgotten (never this one).
    void settle_locked(const std::string& peer, std::uint64_t number, Entry& entry, Outcome outcome) {
        Peer& of = peers_[peer];
        const auto now = Clock::now();
        entry.pending = false;
        entry.outcome = std::move(outcome);
        prune_locked(of, now);
        while (of.settled.size() >= max_settled_per_peer) {
            forget_oldest_locked(of);
        }
        of.settled.emplace_back(now, number);
        settled_.notify_all();
    }

    /// How a wait for a number to settle ended.
    enum class Waited : std::uint8_t { settled, timed_out, gave_up, crowded };

    /// Waits (holding `lock` on mutex_ between checks) until `peer`'s
    /// `number` is settled or forgotten (`settled`; its outcome copied to
    /// `outcome` if given, and if not forgotten), or until `until`
    /// (`timed_out`), or `gave_up()` (asked every 50 ms: the question's call
    /// was cancelled, the server is shutting down); at once (`crowded`) if
    /// `peer` has max_waiting_per_peer questions waiting already.
    Waited wait_settled_locked(std::unique_lock<std::mutex>& lock, const std::string& peer, std::uint64_t number,
                               Clock::time_point until, fedpp::detail::FunctionRef<bool()> gave_up,
                               Outcome* outcome = nullptr) {
        const auto settled = [&] {
            const Entry* entry = find_locked(peer, number);
            if (entry != nullptr && !entry->pending && outcome != nullptr) {
                *outcome = entry->outcome;
            }
            return entry == nullptr || !entry->pending; // (forgotten meanwhile, if it settled long ago)
        };
        if (settled()) {
            return Waited::settled;
        }
        if (Clock::now() >= until) { // (no time to wait: not crowded out)
            return Waited::timed_out;
        }
        if (waiting_[peer] >= max_waiting_per_peer) {
            return Waited::crowded;
        }
        const Waiting counted(waiting_, peer);
        for (;;) {
            if (settled_.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds(50)), settled)) {
                return Waited::settled;
            }
            if (Clock::now() >= until) {
                return Waited::timed_out;
            }
            if (gave_up()) {
                return Waited::gave_up;
            }
        }
    }

    std::mutex mutex_;

private:
    /// One question counted as waiting while it exists (under the lock).
    class Waiting {
    public:
        Waiting(std::map<std::string, int>& waiting, const std::string& peer) : waiting_(waiting), peer_(peer) {
            ++waiting_[peer_];
        }
        ~Waiting() {
            if (--waiting_[peer_] == 0) {
                waiting_.erase(peer_);
            }
        }
        Waiting(const Waiting&) = delete;
        Waiting& operator=(const Waiting&) = delete;

    private:
        std::map<std::string, int>& waiting_;
        const std::string& peer_;
    };

    struct Peer {
        std::unordered_map<std::uint64_t, Entry> entries;
        // The settled ones, oldest first: one pair each, popped only as its
        // entry is forgotten (so a number used again after is a new entry).
        std::deque<std::pair<Clock::time_point, std::uint64_t>> settled;
    };

    void prune_locked(Peer& of, Clock::time_point now) {
        while (!of.settled.empty() && now - of.settled.front().first > memory_) {
            forget_oldest_locked(of);
        }
    }

    void forget_oldest_locked(Peer& of) {
        of.entries.erase(of.settled.front().second);
        of.settled.pop_front();
    }

    std::chrono::milliseconds memory_;
    std::map<std::string, Peer> peers_;
    std::condition_variable settled_;
    std::map<std::string, int> waiting_; // questions waiting, by peer
};

} // namespace fedpp::grpc::detail
