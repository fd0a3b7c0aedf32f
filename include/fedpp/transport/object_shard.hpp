// fedpp: a shard of an object store, some of its objects under one lock.
#pragma once

#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// A stored object, shared by its store and the requests using it: the last
/// of them destroys it. So an object erased (or data published again) while
/// a computation or an encoding uses it lives until that is done, whatever
/// a peer erases when. An intrusive count (RemoteObject::holders_) rather
/// than std::shared_ptr: no second allocation for every value stored.
class ObjectHandle {
public:
    ObjectHandle() noexcept = default;
    /// Takes over `object`: its only holder.
    explicit ObjectHandle(std::unique_ptr<RemoteObject> object) noexcept : object_(object.release()) {}
    ObjectHandle(const ObjectHandle& other) noexcept : object_(other.object_) {
        if (object_ != nullptr) {
            object_->holders_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    ObjectHandle(ObjectHandle&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
    ObjectHandle& operator=(ObjectHandle other) noexcept {
        std::swap(object_, other.object_);
        return *this;
    }
    ~ObjectHandle() {
        if (object_ != nullptr && object_->holders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete object_;
        }
    }

    [[nodiscard]] RemoteObject* get() const noexcept { return object_; }
    RemoteObject& operator*() const noexcept { return *object_; }
    RemoteObject* operator->() const noexcept { return object_; }
    explicit operator bool() const noexcept { return object_ != nullptr; }
    /// How many handles share the object now (0 for none).
    [[nodiscard]] std::uint32_t holders() const noexcept {
        return object_ != nullptr ? object_->holders_.load(std::memory_order_acquire) : 0;
    }

private:
    RemoteObject* object_ = nullptr;
};

/// An object a store holds, and the data owner who contributed it.
struct StoredObject {
    ObjectId id;
    ObjectHandle object;
    ContributorId contributor = no_contributor;
};

/// An object as a store found it under its shard's lock, held: it lives at
/// least as long as this, erased or not.
struct HeldObject {
    ObjectHandle object;
    ContributorId contributor;
};

/// Objects under one lock; the caller holds `mutex` to use the rest.
///
/// A shard holds a few objects at a time (a data owner: its data, a model,
/// a loss; an aggregator: the updates in flight), stored and erased at every
/// request. A vector sorted by id keeps them in one block that is reused,
/// not allocated and freed each time, and new objects take serial ids, the
/// shard's largest but for published data's, so they go at (or next to) the
/// end. An erased object leaves its entry empty until empty entries are half
/// of them, when they are swept out in one pass: erasing costs the same in
/// any order (a party reclaiming the many objects of a vanished requester
/// erases them in no particular order), not a shift of the entries after it.
class ObjectShard {
public:
    std::mutex mutex;
    ObjectId next_serial = 1;

    /// Object `id`'s entry, if it holds an object.
    [[nodiscard]] StoredObject* find(ObjectId id) {
        const auto it = lower_bound(id);
        return it != entries_.end() && it->id == id && it->object ? &*it : nullptr;
    }

    /// Adds `entry`, or replaces the object with its id (data published
    /// again); returns the object replaced, if any, to be let go of once the
    /// lock is released.
    ObjectHandle put(StoredObject entry) {
        auto position = entries_.end();
        while (position != entries_.begin() && std::prev(position)->id >= entry.id) {
            --position; // from the end: a new serial id passes only published data
        }
        if (position != entries_.end() && position->id == entry.id) {
            if (!position->object) {
                --empty_;
            }
            ObjectHandle replaced = std::move(position->object);
            *position = std::move(entry);
            return replaced;
        }
        entries_.insert(position, std::move(entry));
        return {};
    }

    /// Removes object `id` and hands it over (empty if it is not here), to
    /// be let go of once the lock is released.
    ObjectHandle take(ObjectId id) {
        StoredObject* entry = find(id);
        if (entry == nullptr) {
            return {};
        }
        ObjectHandle object = std::move(entry->object);
        if (++empty_ > entries_.size() / 2) {
            std::erase_if(entries_, [](const StoredObject& e) { return !e.object; });
            empty_ = 0;
        }
        return object;
    }

    /// How many objects it holds.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size() - empty_; }

    /// Calls `visit(entry)` for each object, by id.
    template <class Visit>
    void for_each(Visit&& visit) const {
        for (const StoredObject& entry : entries_) {
            if (entry.object) {
                visit(entry);
            }
        }
    }

private:
    std::vector<StoredObject>::iterator lower_bound(ObjectId id) {
        return std::lower_bound(entries_.begin(), entries_.end(), id,
                                [](const StoredObject& entry, ObjectId key) { return entry.id < key; });
    }

    std::vector<StoredObject> entries_; // sorted by id; an erased object's entry is empty until swept
    std::size_t empty_ = 0;
};

/// Where a party's object ids start: a random serial number up to 2^40, so
/// that the ids a model owner still holds from before the party restarted do
/// not name (and erase) the new party's objects.
inline ObjectId random_first_serial() {
    std::random_device entropy;
    const std::uint64_t bits = (std::uint64_t{entropy()} << 32) ^ entropy();
    return 1 + bits % (ObjectId{1} << 40);
}

/// The id of data published under `tag`: the top bit, then FNV-1a of the tag.
inline ObjectId published_id(std::string_view tag) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (const char c : tag) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
    return (ObjectId{1} << 63) | (hash >> 1);
}

/// A secret for the seeds of DP noise (Invocation::noise_secret): 64 bits
/// from the system's random device, never 0 (which means none).
inline std::uint64_t random_noise_secret() {
    std::random_device entropy;
    std::uint64_t secret = 0;
    while (secret == 0) {
        secret = (std::uint64_t{entropy()} << 32) ^ entropy();
    }
    return secret;
}

/// A shard of a store with several, one cache line from the next: different
/// threads lock them.
class alignas(64) SeparateObjectShard : public ObjectShard {};

} // namespace fedpp::detail
