// fedpp::grpc internals: the values sent to this party under a number of
// their sender's (StoreChunk's `transfer`: a party moving a value on, or a
// model owner's transport, numbers each one), so that a sender that got no
// answer (its deadline passed while the value was being stored, the
// connection broke) can settle what became of it (the Withdraw call): the
// object it became here, or none, and then it is not kept. Without it, the
// sender kept a value that had arrived here too: two copies, one of them
// unknown to whoever moved it. A model owner's copies and computations are
// numbered alike (ObjectRequest's and ExecuteRequest's `transfer`): the
// object a request made, or none, and then one still being made is not
// kept, so that none stays here unknown to its requester (unless the
// requester asks to wait for it: withdraw_once_settled).
#pragma once

#include "numbered_outcomes.hpp"

#include <fedpp/base/function_ref.hpp>
#include <fedpp/transport/request.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace fedpp::grpc::detail {

/// What became of a numbered request: the object it made (0: none), and
/// whether it was carried out and what it made kept (a computation without
/// a result: object 0, carried out).
struct Arrival {
    ObjectId object = 0;
    bool carried_out = false;
};

/// By sender (a certificate name): each number arriving, then the object it
/// became (0: none).
class Arrivals : public NumberedOutcomes<Arrival> {
public:
    using NumberedOutcomes::NumberedOutcomes;

    /// The value numbered `transfer` by `sender` starts arriving; false if
    /// that number came before or was withdrawn (the caller refuses it: a
    /// value arrives once).
    [[nodiscard]] bool begin(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        return begin_locked(sender, transfer) != nullptr;
    }

    /// Whether `sender`'s number `transfer` was begun and is not settled
    /// (withdrawn, say).
    [[nodiscard]] bool pending(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        const Entry* entry = find_locked(sender, transfer);
        return entry != nullptr && entry->pending;
    }

    /// It arrived as object `id` (not yet its owner's; a computation without
    /// a result: 0), carried out. False if its sender
    /// withdrew it meanwhile: the caller does not keep it (it never arrived,
    /// as its sender was told).
    [[nodiscard]] bool end(const std::string& sender, std::uint64_t transfer, ObjectId id) {
        const std::lock_guard lock(mutex_);
        Entry* entry = find_locked(sender, transfer);
        if (entry == nullptr || !entry->pending) { // (withdrawn; then perhaps forgotten)
            return false;
        }
        settle_locked(sender, transfer, *entry, {id, true});
        return true;
    }

    /// It did not arrive, whatever end() said: its store failed (a failure
    /// after end() is one of memory when the object was recorded, which a
    /// Withdraw in between may have heard as arrived).
    void fail(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        if (Entry* entry = find_locked(sender, transfer); entry != nullptr && entry->pending) {
            settle_locked(sender, transfer, *entry, {});
        } else if (entry != nullptr) {
            entry->outcome = {}; // (already settled: it stays in the settled order)
        }
    }

    /// What became of the value numbered `transfer` by `sender`: the object
    /// it became here, carried out, or none: it did not arrive and will not
    /// (one still arriving is withdrawn: end() says so; one not yet begun is
    /// refused by begin()). Asked again, the same answer while it is
    /// remembered.
    Arrival withdraw(const std::string& sender, std::uint64_t transfer) {
        const std::lock_guard lock(mutex_);
        Entry& entry = entry_locked(sender, transfer);
        if (entry.pending) { // (not begun, or still arriving)
            settle_locked(sender, transfer, entry, {});
        }
        return entry.outcome;
    }

    /// The same, once one still arriving (a copy or a computation still
    /// being made) has settled: waits for it until `until`, then withdraws
    /// it if it is pending still. None (it stays pending, to be asked again)
    /// if `gave_up()` first (the question's call was cancelled: its answer
    /// would go nowhere), or if `sender` has max_waiting_per_peer questions
    /// waiting already (wait_settled_locked). (A sender whose answer a
    /// broken connection lost asks so, within its own deadline: a long
    /// computation it asked for is then kept, and its result given.)
    std::optional<Arrival> withdraw_once_settled(const std::string& sender, std::uint64_t transfer,
                                                 Clock::time_point until, fedpp::detail::FunctionRef<bool()> gave_up) {
        std::unique_lock lock(mutex_);
        if (find_locked(sender, transfer) != nullptr) {
            Arrival settled;
            switch (wait_settled_locked(lock, sender, transfer, until, gave_up, &settled)) {
            case Waited::settled: return settled;
            case Waited::timed_out: break;
            case Waited::gave_up:
            case Waited::crowded: return std::nullopt;
            }
        }
        Entry& entry = entry_locked(sender, transfer); // (not begun: a new one, withdrawn)
        if (entry.pending) {
            settle_locked(sender, transfer, entry, {});
        }
        return entry.outcome;
    }
};

} // namespace fedpp::grpc::detail
