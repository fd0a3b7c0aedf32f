// fedpp::grpc internals: the values sent to this party under a number of
// their sender's (a party moving a value on numbers each one: StoreChunk's
// `transfer`), remembered for a while, so that a sender whose reply was lost
// (its deadline passed while the value was being stored) can ask what
// became of one (the Withdraw call): the object it became here, or none,
// and then never one. Without it, such a forward failed at its sender, which
// kept the value, while it arrived here too: two copies, one of them
// unknown to whoever moved it.
#pragma once

#include <fedpp/base/errors.hpp>
#include <fedpp/transport/request.hpp>

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

class Arrivals {
public:
    using Clock = std::chrono::steady_clock;

    /// At most this many numbers are remembered for one sender (the oldest
    /// go first), so that a sender that numbers everything, or withdraws
    /// made-up numbers, holds a bounded part of this party's memory.
    static constexpr std::size_t max_per_sender = 100000;

    /// Numbers are remembered for `memory` (ServerOptions::forward_memory).
    explicit Arrivals(std::chrono::milliseconds memory) noexcept : memory_(memory) {}

    /// The value numbered `transfer` by `sender` (a certificate name) starts
    /// arriving. PermissionDeniedError if that number came before or was
    /// withdrawn (a value arrives once).
    void begin(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        Sender& of = senders_[sender];
        if (of.entries.count(transfer) != 0) {
            throw PermissionDeniedError("a value numbered " + std::to_string(transfer) + " by '" + sender +
                                        "' came before, or was withdrawn: a value arrives once");
        }
        add_locked(of, transfer, {State::arriving, 0});
    }

    /// It arrived as object `id`, or did not (0).
    void end(const std::string& sender, std::uint64_t transfer, ObjectId id) {
        {
            const std::lock_guard lock(mutex_);
            if (Entry* entry = find_locked(sender, transfer)) {
                *entry = {id != 0 ? State::arrived : State::failed, id};
            }
        }
        changed_.notify_all();
    }

    /// What became of the value numbered `transfer` by `sender`: the object
    /// it became here, or 0 if it did not arrive, or has not begun to (it
    /// then never will: begin refuses it). While it is arriving, waits until
    /// `deadline` for it to end; NetworkError if it has not by then.
    ObjectId withdraw(const std::string& sender, std::uint64_t transfer, Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        if (find_locked(sender, transfer) == nullptr) {
            add_locked(senders_[sender], transfer, {State::failed, 0});
            return 0;
        }
        const auto ended = [&] { // (it may be forgotten meanwhile: as good as failed)
            const Entry* entry = find_locked(sender, transfer);
            return entry == nullptr || entry->state != State::arriving;
        };
        if (!changed_.wait_until(lock, deadline, ended)) {
            throw NetworkError("fedpp::grpc: a value numbered " + std::to_string(transfer) + " by '" + sender +
                               "' is still arriving");
        }
        const Entry* entry = find_locked(sender, transfer);
        return entry == nullptr ? 0 : entry->id;
    }

    /// Forgets the numbers older than the memory.
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
        std::deque<std::pair<Clock::time_point, std::uint64_t>> order; // oldest first
    };

    Entry* find_locked(const std::string& sender, std::uint64_t transfer) {
        const auto of = senders_.find(sender);
        if (of == senders_.end()) {
            return nullptr;
        }
        const auto it = of->second.entries.find(transfer);
        return it == of->second.entries.end() ? nullptr : &it->second;
    }

    void add_locked(Sender& of, std::uint64_t transfer, Entry entry) {
        const auto now = Clock::now();
        prune_locked(of, now);
        if (of.entries.size() >= max_per_sender) {
            of.entries.erase(of.order.front().second);
            of.order.pop_front();
        }
        of.entries.emplace(transfer, entry);
        of.order.emplace_back(now, transfer);
    }

    void prune_locked(Sender& of, Clock::time_point now) {
        while (!of.order.empty() && now - of.order.front().first > memory_) {
            of.entries.erase(of.order.front().second);
            of.order.pop_front();
        }
    }

    std::chrono::milliseconds memory_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, Sender> senders_;
};

} // namespace fedpp::grpc::detail
