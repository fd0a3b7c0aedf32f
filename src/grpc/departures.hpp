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

#include <chrono>
#include <cstdint>
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

    /// (A requester's questions waiting at once: max_waiting_per_peer.)
    static constexpr int max_waiting_per_requester = max_waiting_per_peer;

    /// The move numbered `transfer` by `requester` starts; false if that
    /// number came before or was asked about (the caller refuses it: a move
    /// is asked for once).
    [[nodiscard]] bool begin(const std::string& requester, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        return begin_locked(requester, transfer) != nullptr;
    }

    /// It ended as `departure` says.
    void end(const std::string& requester, std::uint64_t transfer, Departure departure) {
        const std::lock_guard lock(mutex_);
        if (Entry* entry = find_locked(requester, transfer); entry != nullptr && entry->pending) {
            settle_locked(requester, transfer, *entry, std::move(departure));
        }
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
        if (wait_settled_locked(lock, requester, transfer, until, gave_up) != Waited::settled) {
            return std::nullopt;
        }
        const Entry* entry = find_locked(requester, transfer);
        return entry == nullptr ? std::nullopt : std::optional<Departure>(entry->outcome);
    }
};

} // namespace fedpp::grpc::detail
