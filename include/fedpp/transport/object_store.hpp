// fedpp: ObjectStore, the values one worker holds.
//
// A store decodes what it is sent into objects of its own (no two parties
// share memory), hands out ids, and serves every request to its worker but
// forward, which needs two stores and is the transport's to carry out.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fedpp {

/// The objects held by one worker. Thread-safe: requests for one worker may
/// arrive from several threads. The trusted aggregator of a federated run
/// receives every client's update from every training thread at once, so
/// its store is split into shards, each with its own lock: a thread stores
/// into the shard its process-wide thread number picks (an object's id says
/// which), so a few threads usually have one each, and threads working on
/// different objects rarely wait for one another. A data owner's store, used
/// by one thread at a time and possibly one of thousands, has one shard.
class ObjectStore {
public:
    ObjectStore(std::string name, std::size_t shard_count)
        : name_(std::move(name)), shard_count_(std::max<std::size_t>(shard_count, 1)),
          shards_(std::make_unique<Shard[]>(shard_count_)) {}

    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// Serves `request` (any operation but forward). `sender` names who sent
    /// a stored value, for the message if it does not decode.
    Reply handle(const Request& request, detail::LazyText sender);

    /// The encoding of object `id`, which must hold an `expected` (if given):
    /// what a transport forwarding it sends on.
    [[nodiscard]] Bytes encode(ObjectId id, const ValueType* expected) {
        const detail::RemoteObject& object = find(id, expected);
        return object.type().encode(object);
    }

    /// Stores a value decoded from `bytes` as `type`; returns its id.
    ObjectId store(const ValueType& type, std::span<const std::byte> bytes, detail::LazyText what) {
        return insert(type.decode(bytes, what));
    }

    /// Deletes object `id`, if it is here (also after close()).
    void erase(ObjectId id);

    /// The worker left: every later request but erase fails with
    /// RemoteObjectError. The objects stay until their pointers delete them
    /// (erase still works) or the transport goes: a request that was
    /// already running when the worker left may still be using them.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

private:
    using Objects = std::unordered_map<ObjectId, std::unique_ptr<detail::RemoteObject>>;

    struct alignas(64) Shard { // one cache line apart: shards are locked by different threads
        std::mutex mutex;
        Objects objects;
        std::vector<Objects::node_type> spare_nodes;
        ObjectId next_serial = 1;
    };

    // Objects come and go at every request (a model sent, a loss stored
    // then fetched), so the maps' nodes are recycled rather than allocated
    // and freed each time; a few spares per shard cover a round's traffic.
    static constexpr std::size_t max_spare_nodes = 16;

    /// The shard this thread stores into.
    std::size_t shard_of_this_thread() const noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t thread_number = next.fetch_add(1, std::memory_order_relaxed);
        return thread_number % shard_count_;
    }

    Shard& shard_of(ObjectId id) noexcept { return shards_[id % shard_count_]; }
    std::span<Shard> shards() noexcept { return {shards_.get(), shard_count_}; }

    void require_open() const {
        if (closed_.load(std::memory_order_acquire)) {
            throw RemoteObjectError("worker '" + name_ +
                                    "' no longer exists (was its Worker object destroyed before its pointers?)");
        }
    }

    ObjectId insert(std::unique_ptr<detail::RemoteObject> object);
    detail::RemoteObject& find(ObjectId id, const ValueType* expected);
    Reply execute(const detail::Task& task);
    std::size_t count();
    std::vector<ObjectInfo> list();

    std::string name_;
    std::size_t shard_count_;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<bool> closed_{false};
};

inline ObjectId ObjectStore::insert(std::unique_ptr<detail::RemoteObject> object) {
    const std::size_t index = shard_of_this_thread();
    Shard& shard = shards_[index];
    const std::lock_guard lock(shard.mutex);
    require_open();
    const ObjectId id = shard.next_serial++ * shard_count_ + index;
    if (shard.spare_nodes.empty()) {
        shard.objects.emplace(id, std::move(object));
    } else {
        auto node = std::move(shard.spare_nodes.back());
        shard.spare_nodes.pop_back();
        node.key() = id;
        node.mapped() = std::move(object);
        shard.objects.insert(std::move(node));
    }
    return id;
}

/// The object with `id`; it stays owned by the store.
inline detail::RemoteObject& ObjectStore::find(ObjectId id, const ValueType* expected) {
    Shard& shard = shard_of(id);
    const std::lock_guard lock(shard.mutex);
    require_open();
    const auto it = shard.objects.find(id);
    if (it == shard.objects.end()) {
        throw RemoteObjectError("worker '" + name_ + "' holds no object " + std::to_string(id));
    }
    if (expected != nullptr && !it->second->type().same_as(*expected)) {
        throw RemoteObjectError("object " + std::to_string(id) + " at worker '" + name_ + "' holds a '" +
                                it->second->type().name + "', not a '" + expected->name + "'");
    }
    return *it->second;
}

inline void ObjectStore::erase(ObjectId id) {
    Shard& shard = shard_of(id);
    std::unique_ptr<detail::RemoteObject> doomed; // destroyed after the lock is released
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.objects.find(id);
    if (it != shard.objects.end()) {
        auto node = shard.objects.extract(it);
        doomed = std::move(node.mapped());
        if (shard.spare_nodes.size() < max_spare_nodes) {
            shard.spare_nodes.push_back(std::move(node));
        }
    }
}

inline std::size_t ObjectStore::count() {
    std::size_t total = 0;
    for (Shard& shard : shards()) {
        const std::lock_guard lock(shard.mutex);
        total += shard.objects.size();
    }
    return total;
}

inline std::vector<ObjectInfo> ObjectStore::list() {
    std::vector<ObjectInfo> objects;
    for (Shard& shard : shards()) {
        const std::lock_guard lock(shard.mutex);
        for (const auto& [id, object] : shard.objects) {
            objects.push_back({id, object->type().name});
        }
    }
    std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.id < b.id; });
    return objects;
}

inline Reply ObjectStore::execute(const detail::Task& task) {
    // Most tasks take a few inputs (a model and its data); fedavg may take
    // hundreds.
    constexpr std::size_t usual_inputs = 8;
    std::array<detail::RemoteObject*, usual_inputs> usual;
    std::vector<detail::RemoteObject*> many;
    const std::size_t count = task.inputs.size();
    if (count > usual_inputs) {
        many.resize(count);
    }
    const std::span<detail::RemoteObject*> inputs(count > usual_inputs ? many.data() : usual.data(), count);
    for (std::size_t i = 0; i < count; ++i) {
        inputs[i] = &find(task.inputs[i].first, task.inputs[i].second);
    }
    Reply reply;
    if (auto result = task.body(inputs)) {
        reply.object = insert(std::move(result));
    }
    return reply;
}

inline Reply ObjectStore::handle(const Request& request, detail::LazyText sender) {
    Reply reply;
    switch (request.operation) {
    case Operation::store:
        reply.object = store(*request.type, request.payload,
                             [&] { return "value sent from " + sender() + " to '" + name_ + "'"; });
        break;
    case Operation::fetch:
        reply.payload = encode(request.object, request.type);
        erase(request.object);
        break;
    case Operation::erase: erase(request.object); break;
    case Operation::copy: {
        const detail::RemoteObject& object = find(request.object, request.type);
        const Bytes bytes = object.type().encode(object);
        reply.object = store(object.type(), bytes, [&] { return "copy at '" + name_ + "'"; });
        break;
    }
    case Operation::execute: reply = execute(*request.task); break;
    case Operation::count: reply.count = count(); break;
    case Operation::list: reply.objects = list(); break;
    case Operation::forward:
        throw RemoteObjectError("ObjectStore '" + name_ + "': forward is carried out by the transport");
    }
    return reply;
}

} // namespace fedpp
