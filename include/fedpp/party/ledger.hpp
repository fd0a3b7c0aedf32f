// fedpp: who owns what at a party: each object's owner (the requester that
// created it or was given it), the data published under a tag, which objects
// were made from that data, and when each requester was last heard from (its
// lease).
#pragma once

#include "fedpp/party/requester.hpp"
#include "fedpp/transport/request.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace fedpp::party {

/// How many objects, of how many bytes in all, count against a peer (for
/// one requester: Ledger::for_whom); as a quota, 0 in either is no limit.
struct ObjectUsage {
    std::size_t objects = 0;
    std::uint64_t bytes = 0; // each object's encoded size when it was made here (ValueType::encoded_size)
};

class Ledger {
public:
    using Clock = std::chrono::steady_clock;

    /// One object held within its pair's quota for a request still making
    /// it (reserve_within): it counts against that pair, as an object of
    /// the bytes reserved, until it is recorded (add_reserved) or given up
    /// (destroyed unrecorded: a request that failed). Empty (false) when
    /// the quota had no room.
    class Reservation {
    public:
        Reservation() = default;
        Reservation(Reservation&& other) noexcept
            : ledger_(std::exchange(other.ledger_, nullptr)), pair_(std::move(other.pair_)), bytes_(other.bytes_) {}
        Reservation& operator=(Reservation&&) = delete;
        ~Reservation() {
            if (ledger_ != nullptr) {
                const std::lock_guard lock(ledger_->mutex_);
                ledger_->uncount_locked(pair_, bytes_);
            }
        }
        explicit operator bool() const noexcept { return ledger_ != nullptr; }

    private:
        friend class Ledger;
        Ledger* ledger_ = nullptr;
        std::pair<std::string, std::string> pair_; // maker, for whom
        std::uint64_t bytes_ = 0;
    };

    /// What add_reserved did: whether it recorded the object, and what
    /// counted against its pair besides (read under the same lock).
    struct Added {
        bool added = false;
        ObjectUsage before;
    };

    /// Holds room for one object of `owner`'s of `bytes` bytes (0: not yet
    /// known; every object has at least one), to count against `maker` (the
    /// certificate name of the peer whose request makes it: the owner, or a
    /// party that gives it to the owner) for `owner` (for_whom), if what
    /// counts against that pair, objects still being made included, stays
    /// within `quota` with it (fits), and sets `before` to what counted
    /// before. What one peer's concurrent requests count therefore never
    /// passes the quota together.
    [[nodiscard]] Reservation reserve_within(const std::string& owner, std::string_view maker, ObjectUsage quota,
                                             std::uint64_t bytes, ObjectUsage& before) {
        const std::lock_guard lock(mutex_);
        std::pair<std::string, std::string> pair{std::string(maker), for_whom_locked(maker, owner)};
        const auto it = made_.find(pair);
        before = it == made_.end() ? ObjectUsage{} : it->second;
        Reservation reservation;
        if (fits(before, quota, bytes)) {
            ObjectUsage& usage = made_[pair];
            ++usage.objects;
            usage.bytes += bytes;
            reservation.ledger_ = this;
            reservation.pair_ = std::move(pair);
            reservation.bytes_ = bytes;
        }
        return reservation;
    }

    /// Records that `owner` owns object `id`, of `bytes` bytes, from now, in
    /// the place `reservation` held (which it uses up), if what counts
    /// against its pair besides stays within `quota` with it (a computation
    /// reserves before its result's size is known). Recording renews no
    /// lease: an object given to `owner` by another party (or made for it)
    /// lives one lease from now, or longer while `owner` is heard from (a
    /// data owner's gifts to a made-up or silent requester keep nothing
    /// else alive).
    [[nodiscard]] Added add_reserved(ObjectId id, const std::string& owner, Reservation& reservation,
                                     ObjectUsage quota, std::uint64_t bytes) {
        const std::lock_guard lock(mutex_);
        const auto it = made_.find(reservation.pair_); // (a live reservation counts there)
        if (reservation.ledger_ != this || it == made_.end() || it->second.objects == 0 ||
            it->second.bytes < reservation.bytes_ || owners_.count(id) != 0 || moving_.count(id) != 0) {
            throw std::logic_error("fedpp::party::Ledger::add_reserved: a reservation not held here, or an id "
                                   "recorded already");
        }
        const ObjectUsage before{it->second.objects - 1, it->second.bytes - reservation.bytes_};
        if (!fits(before, quota, bytes)) {
            return {false, before};
        }
        owners_[id] = {owner, Clock::now(), false, reservation.pair_.first, reservation.pair_.second, bytes};
        it->second.bytes = before.bytes + bytes; // (then nothing throws: the reservation's count is the object's)
        reservation.ledger_ = nullptr;
        return {true, before};
    }

    /// Whether one more object of `bytes` bytes (0: not yet known; every
    /// object has at least one) stays within `quota` beside `usage`.
    [[nodiscard]] static bool fits(ObjectUsage usage, ObjectUsage quota, std::uint64_t bytes) noexcept {
        return (quota.objects == 0 || usage.objects < quota.objects) &&
               (quota.bytes == 0 || (usage.bytes < quota.bytes && bytes <= quota.bytes - usage.bytes));
    }

    /// What counts here against the peer `maker` (a certificate name) for
    /// `owner` (for_whom), objects still being made (reserved) included.
    [[nodiscard]] ObjectUsage made_by(std::string_view maker, const std::string& owner) const {
        const std::lock_guard lock(mutex_);
        return made_by_locked(maker, owner);
    }

    /// For whom an object of `owner`'s made by `maker` counts: the owner's
    /// certificate name if it made it, or if this party has heard from the
    /// owner (within its lease); else "" (gifts to requesters not heard
    /// from: one count per giver, so that made-up owners get no more).
    [[nodiscard]] std::string for_whom(std::string_view maker, const std::string& owner) const {
        const std::lock_guard lock(mutex_);
        return for_whom_locked(maker, owner);
    }

    /// Records data this party published under `tag`.
    void publish(const std::string& tag, ObjectId id) {
        const std::lock_guard lock(mutex_);
        published_[tag] = id;
        published_ids_.emplace(id, tag);
    }

    /// The published object under `tag`, if any.
    [[nodiscard]] std::optional<ObjectId> published(const std::string& tag) const {
        const std::lock_guard lock(mutex_);
        const auto it = published_.find(tag);
        return it == published_.end() ? std::nullopt : std::optional<ObjectId>(it->second);
    }

    [[nodiscard]] bool is_published(ObjectId id) const {
        const std::lock_guard lock(mutex_);
        return published_ids_.count(id) != 0;
    }

    /// True when `requester` owns `id`.
    [[nodiscard]] bool owns(const std::string& requester, ObjectId id) const {
        const std::lock_guard lock(mutex_);
        const auto it = owners_.find(id);
        return it != owners_.end() && it->second.owner == requester;
    }

    /// The objects `inputs` went into an aggregate (Computation::spends_contributions).
    void spend(std::span<const ObjectRef> inputs) {
        const std::lock_guard lock(mutex_);
        for (const ObjectRef& input : inputs) {
            if (const auto it = owners_.find(input.id); it != owners_.end()) {
                it->second.spent = true;
            }
        }
    }

    /// Whether object `id` went into an aggregate.
    [[nodiscard]] bool spent(ObjectId id) const {
        const std::lock_guard lock(mutex_);
        const auto it = owners_.find(id);
        return it != owners_.end() && it->second.spent;
    }

    /// Object `id` no longer belongs to its owner (it is moving away): no
    /// request finds it, no lease expires it; it still counts against what
    /// it counted against (it is still here) until it is forgotten, or
    /// restored to its owner, and keeps its mark of being made from this
    /// party's data.
    void remove(ObjectId id) {
        const std::lock_guard lock(mutex_);
        if (const auto it = owners_.find(id); it != owners_.end()) {
            moving_.insert(owners_.extract(it));
        }
    }

    /// Object `id`, removed, belongs to its owner again, counted as before
    /// (a forward that did not arrive).
    void restore(ObjectId id) {
        const std::lock_guard lock(mutex_);
        if (const auto it = moving_.find(id); it != moving_.end()) {
            owners_.insert(moving_.extract(it));
        }
    }

    /// Forgets object `id`, deleted from the store (deleted first, so that a
    /// request that finds it unmarked cannot find it at all).
    void forget(ObjectId id) {
        const std::lock_guard lock(mutex_);
        erase_locked(id);
        derived_.erase(id);
    }

    /// Whether object `id` is this party's data: published here, or made
    /// from what is.
    [[nodiscard]] bool is_data(ObjectId id) const {
        const std::lock_guard lock(mutex_);
        return published_ids_.count(id) != 0 || derived_.count(id) != 0;
    }

    /// Marks objects as made from this party's data: a computation's result,
    /// and the inputs it may have changed, or a copy of such an object. Only
    /// objects someone owns (none that was deleted meanwhile stays marked).
    void mark_derived(std::span<const ObjectRef> objects, ObjectId made = 0) {
        const std::lock_guard lock(mutex_);
        for (const ObjectRef& object : objects) {
            if (owners_.count(object.id) != 0) {
                derived_.insert(object.id);
            }
        }
        if (made != 0 && owners_.count(made) != 0) {
            derived_.insert(made);
        }
    }

    [[nodiscard]] bool derived(ObjectId id) const {
        const std::lock_guard lock(mutex_);
        return derived_.count(id) != 0;
    }

    /// `requester` was heard from now: its objects' lease starts again.
    void heard_from(const std::string& requester) {
        const std::lock_guard lock(mutex_);
        last_heard_[requester] = Clock::now();
    }

    /// The objects `requester` owns.
    [[nodiscard]] std::vector<ObjectId> owned_by(const std::string& requester) const {
        const std::lock_guard lock(mutex_);
        std::vector<ObjectId> ids;
        for (const auto& [id, owned] : owners_) {
            if (owned.owner == requester) {
                ids.push_back(id);
            }
        }
        return ids;
    }

    /// Removes and returns the objects older than `lease` whose owner has
    /// not been heard from for longer than `lease`: the caller deletes them,
    /// then forgets them (their marks stay until then).
    std::vector<ObjectId> expire(std::chrono::milliseconds lease, Clock::time_point now = Clock::now()) {
        const std::lock_guard lock(mutex_);
        std::vector<ObjectId> expired;
        for (auto it = owners_.begin(); it != owners_.end();) {
            const auto heard = last_heard_.find(it->second.owner);
            const Clock::time_point last =
                heard == last_heard_.end() ? it->second.added : std::max(heard->second, it->second.added);
            if (now - last > lease) {
                expired.push_back(it->first);
                uncount_locked(it->second);
                it = owners_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto it = last_heard_.begin(); it != last_heard_.end();) {
            it = now - it->second > lease ? last_heard_.erase(it) : std::next(it);
        }
        return expired;
    }

    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return owners_.size();
    }

private:
    struct Owned {
        std::string owner;
        Clock::time_point added;
        bool spent = false;
        std::string maker;       // whom it counts against (reserve_within)
        std::string counted_for; // for whom (for_whom)
        std::uint64_t bytes = 0;
    };

    void erase_locked(ObjectId id) {
        for (auto* records : {&owners_, &moving_}) {
            if (const auto it = records->find(id); it != records->end()) {
                uncount_locked(it->second);
                records->erase(it);
            }
        }
    }

    void uncount_locked(const Owned& owned) { uncount_locked({owned.maker, owned.counted_for}, owned.bytes); }

    void uncount_locked(const std::pair<std::string, std::string>& pair, std::uint64_t bytes) {
        if (const auto it = made_.find(pair); it != made_.end()) {
            it->second.bytes -= bytes;
            if (--it->second.objects == 0) {
                made_.erase(it);
            }
        }
    }

    [[nodiscard]] std::string for_whom_locked(std::string_view maker, const std::string& owner) const {
        const std::string_view name = name_of(owner);
        return name == maker || last_heard_.count(owner) != 0 ? std::string(name) : std::string();
    }

    [[nodiscard]] ObjectUsage made_by_locked(std::string_view maker, const std::string& owner) const {
        const auto it = made_.find({std::string(maker), for_whom_locked(maker, owner)});
        return it == made_.end() ? ObjectUsage{} : it->second;
    }

    mutable std::mutex mutex_;
    std::unordered_map<ObjectId, Owned> owners_;
    std::unordered_map<ObjectId, Owned> moving_; // removed, still here (remove)
    std::map<std::pair<std::string, std::string>, ObjectUsage> made_; // by maker, for whom
    std::map<std::string, Clock::time_point> last_heard_;
    std::map<std::string, ObjectId> published_;
    std::map<ObjectId, std::string> published_ids_;
    std::unordered_set<ObjectId> derived_; // made from published data
};

} // namespace fedpp::party
