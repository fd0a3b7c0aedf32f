// fedpp: a shard of an object store, some of its objects under one lock.
#pragma once

#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
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
/// end.
struct ObjectShard {
    std::mutex mutex;
    std::vector<StoredObject> objects; // sorted by id
    ObjectId next_serial = 1;

    [[nodiscard]] StoredObject* find(ObjectId id) {
        const auto it = lower_bound(id);
        return it != objects.end() && it->id == id ? &*it : nullptr;
    }

    /// Adds `entry`, or replaces the object with its id (data published again).
    void put(StoredObject entry) {
        auto position = objects.end();
        while (position != objects.begin() && std::prev(position)->id >= entry.id) {
            --position; // from the end: a new serial id passes only published data
        }
        if (position != objects.end() && position->id == entry.id) {
            *position = std::move(entry);
        } else {
            objects.insert(position, std::move(entry));
        }
    }

    /// Removes object `id` and hands it over (null if it is not here), to be
    /// destroyed once the lock is released.
    std::unique_ptr<RemoteObject> take(ObjectId id) {
        const auto it = lower_bound(id);
        if (it == objects.end() || it->id != id) {
            return nullptr;
        }
        std::unique_ptr<RemoteObject> object = std::move(it->object);
        objects.erase(it);
        return object;
    }

private:
    std::vector<StoredObject>::iterator lower_bound(ObjectId id) {
        return std::lower_bound(objects.begin(), objects.end(), id,
                                [](const StoredObject& entry, ObjectId key) { return entry.id < key; });
    }
};

/// A shard of a store with several, one cache line from the next: different
/// threads lock them.
struct alignas(64) SeparateObjectShard : ObjectShard {};

} // namespace fedpp::detail
