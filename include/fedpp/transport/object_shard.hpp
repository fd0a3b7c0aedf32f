// fedpp: a shard of an object store, some of its objects under one lock.
#pragma once

#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// An object a store holds, and the data owner who contributed it.
struct StoredObject {
    ObjectId id;
    std::unique_ptr<RemoteObject> object;
    ContributorId contributor = no_contributor;
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
    /// again); returns the object replaced, if any, to be destroyed once the
    /// lock is released.
    std::unique_ptr<RemoteObject> put(StoredObject entry) {
        auto position = entries_.end();
        while (position != entries_.begin() && std::prev(position)->id >= entry.id) {
            --position; // from the end: a new serial id passes only published data
        }
        if (position != entries_.end() && position->id == entry.id) {
            if (!position->object) {
                --empty_;
            }
            std::unique_ptr<RemoteObject> replaced = std::move(position->object);
            *position = std::move(entry);
            return replaced;
        }
        entries_.insert(position, std::move(entry));
        return nullptr;
    }

    /// Removes object `id` and hands it over (null if it is not here), to be
    /// destroyed once the lock is released.
    std::unique_ptr<RemoteObject> take(ObjectId id) {
        StoredObject* entry = find(id);
        if (entry == nullptr) {
            return nullptr;
        }
        std::unique_ptr<RemoteObject> object = std::move(entry->object);
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

/// A shard of a store with several, one cache line from the next: different
/// threads lock them.
class alignas(64) SeparateObjectShard : public ObjectShard {};

} // namespace fedpp::detail
