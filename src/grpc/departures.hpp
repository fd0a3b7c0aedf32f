// fedpp::grpc internals: the moves this party was asked for under a number
// of their requester's (ForwardRequest's `transfer`: a model owner's
// transport numbers each one), so that a requester whose answer did not
// come (its deadline passed, the connection broke) can ask what became of
// the move (the Forwarded call): the value's id at its destination, or why
// it did not move (it is then still here, the requester's). Without it,
// such a value was at the destination, unknown to the requester, whose
// pointer still named it here.
#pragma once

#include "numbered_outcomes.hpp"

#include <fedpp/base/function_ref.hpp>
#include <fedpp/transport/request.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace fedpp::grpc::detail {

/// How a move ended: its id at the destination and its encoding's size, or
/// (object 0) why it did not happen, and whether it may have arrived all
/// the same (`uncertain`: the destination did not say).
struct Departure {
    ObjectId object = 0;
    std::uint64_t moved_bytes = 0;
    std::string failure;
    bool uncertain = false;
};

/// By requester (a certificate name): each move under way, then how it ended.
class Departures : public NumberedOutcomes<Departure> {
public:
    using NumberedOutcomes::NumberedOutcomes;

    /// At most this many questions of one requester wait at once (each
    /// holds a server thread); more are answered at once as under way (the
    /// requester is then told that the value may have moved).
    static constexpr int max_waiting_per_requester = 4;

    /// The move numbered `transfer` by `requester` starts; false if that
    /// number came before or was asked about (the caller refuses it: a move
    /// is asked for once).
    [[nodiscard]] bool begin(const std::string& requester, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        return begin_locked(requester, transfer) != nullptr;
    }

    /// It ended as `departure` says.
    void end(const std::string& requester, std::uint64_t transfer, Departure departure) {
        {
            const std::lock_guard lock(mutex_);
            if (Entry* entry = find_locked(requester, transfer); entry != nullptr && entry->pending) {
                settle_locked(requester, transfer, *entry, std::move(departure));
            }
        }
        ended_.notify_all();
    }

    /// How the move numbered `transfer` by `requester` ended, waiting until
    /// `until` while it is under way: none if it still is then, or once
    /// `gave_up()` (asked every 50 ms: the question's call was cancelled,
    /// the server is shutting down), or at once if the requester has
    /// max_waiting_per_requester questions waiting already. A number not
    /// begun is settled as a move that did not happen, so that it is
    /// refused if its request comes after all.
    [[nodiscard]] std::optional<Departure> ask(const std::string& requester, std::uint64_t transfer,
                                               Clock::time_point until, fedpp::detail::FunctionRef<bool()> gave_up) {
        std::unique_lock lock(mutex_);
        if (Entry* entry = begin_locked(requester, transfer); entry != nullptr) {
            settle_locked(requester, transfer, *entry,
                          {0, 0, "the request for it did not arrive (nor will it be carried out)"});
        }
        const auto settled = [&] {
            const Entry* entry = find_locked(requester, transfer);
            return entry == nullptr || !entry->pending; // (forgotten meanwhile, if it settled long ago)
        };
        if (!settled()) {
            if (waiting_[requester] >= max_waiting_per_requester) {
                return std::nullopt;
            }
            const Waiting counted(waiting_, requester);
            bool ended = false;
            for (;;) {
                ended = ended_.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds(50)), settled);
                if (ended || Clock::now() >= until || gave_up()) {
                    break;
                }
            }
            if (!ended) {
                return std::nullopt;
            }
        }
        const Entry* entry = find_locked(requester, transfer);
        return entry == nullptr ? std::nullopt : std::optional<Departure>(entry->outcome);
    }

    /// How many questions of `requester` wait now.
    [[nodiscard]] int waiting(const std::string& requester) {
        const std::lock_guard lock(mutex_);
        const auto it = waiting_.find(requester);
        return it == waiting_.end() ? 0 : it->second;
    }

private:
    /// One question counted as waiting while it exists (under the lock).
    class Waiting {
    public:
        Waiting(std::map<std::string, int>& waiting, const std::string& requester)
            : waiting_(waiting), requester_(requester) {
            ++waiting_[requester_];
        }
        ~Waiting() {
            if (--waiting_[requester_] == 0) {
                waiting_.erase(requester_);
            }
        }
        Waiting(const Waiting&) = delete;
        Waiting& operator=(const Waiting&) = delete;

    private:
        std::map<std::string, int>& waiting_;
        const std::string& requester_;
    };

    std::condition_variable ended_;
    std::map<std::string, int> waiting_; // questions waiting, by requester
};

} // namespace fedpp::grpc::detail
