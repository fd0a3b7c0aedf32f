// fedpp::grpc internals: the values sent to this party under a number of
// their sender's (StoreChunk's `transfer`: a party moving a value on, or a
// model owner's transport, numbers each one), so that a sender that got no
// answer (its deadline passed while the value was being stored, the
// connection broke) can settle what became of it (the Withdraw call): the
// object it became here, or none, and then it is not kept. Without it, the
// sender kept a value that had arrived here too: two copies, one of them
// unknown to whoever moved it.
#pragma once

#include <fedpp/transport/request.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace fedpp::grpc::detail {

class Arrivals {
public:
    using Clock = std::chrono::steady_clock;

    /// At most this many settled numbers (arrived, failed or withdrawn) are
    /// remembered for one sender, the oldest going first, so that a sender
    /// that numbers everything, or withdraws made-up numbers, holds a
    /// bounded part of this party's memory. Numbers still arriving are
    /// never forgotten (there are at most as many as streams being served).
    static constexpr std::size_t max_settled_per_sender = 100000;

    /// Settled numbers are remembered for `memory` from when they settled
    /// (ServerOptions::forward_memory).
    explicit Arrivals(std::chrono::milliseconds memory) noexcept : memory_(memory) {}

    /// The value numbered `transfer` by `sender` (a certificate name) starts
    /// arriving; false if that number came before or was withdrawn (the
    /// caller refuses it: a value arrives once).
    [[nodiscard]] bool begin(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        Sender& of = senders_[sender];
        return of.entries.emplace(transfer, Entry{State::arriving, 0}).second;
    }

    /// It arrived as object `id` (not yet its owner's). False if its sender
    /// withdrew it meanwhile: the caller does not keep it (it never arrived,
    /// as its sender was told).
    [[nodiscard]] bool end(const std::string& sender, std::uint64_t transfer, ObjectId id) {
        const std::lock_guard lock(mutex_);
        Entry* entry = find_locked(sender, transfer);
        if (entry == nullptr || entry->state != State::arriving) { // (withdrawn; then perhaps forgotten)
            return false;
        }
        settle_locked(senders_[sender], transfer, *entry, State::arrived, id);
        return true;
    }

    /// It did not arrive, whatever end() said: its store failed (a failure
    /// after end() is one of memory when the object was recorded, which a
    /// Withdraw in between may have heard as arrived).
    void fail(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        Entry* entry = find_locked(sender, transfer);
        if (entry != nullptr && entry->state == State::arriving) {
            settle_locked(senders_[sender], transfer, *entry, State::failed, 0);
        } else if (entry != nullptr) {
            entry->id = 0; // (already settled: it stays in the settled order)
            entry->state = State::failed;
        }
    }

    /// What became of the value numbered `transfer` by `sender`: the object
    /// it became here, or 0: it did not arrive and will not (one still
    /// arriving is withdrawn: end() says so; one not yet begun is refused
    /// by begin()). Asked again, the same answer while it is remembered.
    ObjectId withdraw(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        Sender& of = senders_[sender];
        Entry& entry = of.entries.emplace(transfer, Entry{State::arriving, 0}).first->second;
        if (entry.state == State::arriving) { // (not begun, or still arriving)
            settle_locked(of, transfer, entry, State::failed, 0);
        }
        return entry.id;
    }

    /// Forgets the settled numbers older than the memory.
    void expire(Clock::time_point now = Clock::now()) {
        const std::lock_guard lock(mutex_);
        for (auto of = senders_.begin(); of != senders_.end();) {
            prune_locked(of->second, now);
            of = of->second.entries.empty() ? senders_.erase(of) : std::next(of);
        }
    }

private:
    enum class State { arriving, arrived, failed };
    struct Entry {
        State state = State::arriving;
        ObjectId id = 0;
    };
    struct Sender {
        std::unordered_map<std::uint64_t, Entry> entries;
        // The settled ones, oldest first: one pair each, popped only as its
        // entry is forgotten (so a number used again after is a new entry).
        std::deque<std::pair<Clock::time_point, std::uint64_t>> settled;
    };

    Entry* find_locked(const std::string& sender, std::uint64_t transfer) {
        const auto of = senders_.find(sender);
        if (of == senders_.end()) {
            return nullptr;
        }
        const auto it = of->second.entries.find(transfer);
        return it == of->second.entries.end() ? nullptr : &it->second;
    }

    void settle_locked(Sender& of, std::uint64_t transfer, Entry& entry, State state, ObjectId id) {
        const auto now = Clock::now();
        entry = {state, id};
        prune_locked(of, now);
        while (of.settled.size() >= max_settled_per_sender) {
            forget_oldest_locked(of);
        }
        of.settled.emplace_back(now, transfer);
    }

    void prune_locked(Sender& of, Clock::time_point now) {
        while (!of.settled.empty() && now - of.settled.front().first > memory_) {
            forget_oldest_locked(of);
        }
    }

    void forget_oldest_locked(Sender& of) {
        of.entries.erase(of.settled.front().second);
        of.settled.pop_front();
    }

    std::chrono::milliseconds memory_;
    std::mutex mutex_;
    std::map<std::string, Sender> senders_;
};

} // namespace fedpp::grpc::detail
