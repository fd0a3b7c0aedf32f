// fedpp: the seam between parties.
//
// Every interaction with a worker is a Request delivered by a Transport:
// storing a value sent to it, fetching one back, forwarding one to another
// worker, deleting, copying, running a computation there, counting what it
// holds. Values travel inside requests and replies as bytes only (see
// serialization.hpp); the in-process transport below decodes them into the
// receiving worker's own store, so no two parties share memory.
//
// A multi-process transport (each worker its own process, on MPI for
// instance) implements the same interface by shipping requests and replies
// between processes; user code does not change. Computations (run, fedavg)
// are then executed by the process that owns the worker, all processes
// running the same program (SPMD), which is why a Task carries code rather
// than bytes.
#pragma once

#include "fedpp/block_cache.hpp"
#include "fedpp/errors.hpp"
#include "fedpp/serialization.hpp"
#include "fedpp/transfer_log.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fedpp {

using ObjectId = std::uint64_t;
using WorkerId = std::uint32_t;

/// The model owner (the program itself) is endpoint 0; workers are 1, 2, ...
inline constexpr WorkerId model_owner_id = 0;

/// What a worker holds, for inspection by tests and tools.
struct ObjectInfo {
    ObjectId id;
    std::string type; ///< Codec type name
};

namespace detail {

class RemoteObject;

/// How to turn one C++ type into bytes and back, type-erased.
struct ValueType {
    std::string name;
    /// `what` names the bytes for error messages; built only on an error.
    std::unique_ptr<RemoteObject> (*decode)(std::span<const std::byte> bytes, LazyText what);
    Bytes (*encode)(const RemoteObject& object);
};

/// A value in a worker's store.
class RemoteObject {
public:
    virtual ~RemoteObject() = default;
    [[nodiscard]] virtual const ValueType& type() const noexcept = 0;

    // Stored values come and go at every request (run() stores a loss that
    // the next get() deletes), so their memory comes from the per-thread
    // BlockCache. The virtual destructor makes delete pass the stored
    // type's size. Over-aligned value types use the global aligned forms.
    static void* operator new(std::size_t bytes) { return BlockCache::allocate(bytes); }
    static void operator delete(void* block, std::size_t bytes) noexcept { BlockCache::deallocate(block, bytes); }
    static void* operator new(std::size_t bytes, std::align_val_t alignment) {
        return ::operator new(bytes, alignment);
    }
    static void operator delete(void* block, std::align_val_t alignment) noexcept {
        ::operator delete(block, alignment);
    }
};

template <class T>
class RemoteValue;

template <Serializable T>
const ValueType& value_type() {
    static const ValueType type{
        type_name_of<T>(),
        [](std::span<const std::byte> bytes, LazyText what) -> std::unique_ptr<RemoteObject> {
            return std::make_unique<RemoteValue<T>>(from_bytes<T>(bytes, what));
        },
        [](const RemoteObject& object) { return to_bytes(static_cast<const RemoteValue<T>&>(object).value); },
    };
    return type;
}

template <class T>
class RemoteValue final : public RemoteObject {
public:
    explicit RemoteValue(T v) : value(std::move(v)) {}
    [[nodiscard]] const ValueType& type() const noexcept override { return value_type<T>(); }
    T value;
};

/// `object` as a T, or RemoteObjectError naming both types.
template <class T>
T& value_as(RemoteObject& object, ObjectId id) {
    const ValueType& wanted = value_type<T>();
    if (&object.type() != &wanted && object.type().name != wanted.name) {
        throw RemoteObjectError("object " + std::to_string(id) + " holds a '" + object.type().name +
                                "', not a '" + wanted.name + "'");
    }
    return static_cast<RemoteValue<T>&>(object).value;
}

/// A computation to run at a worker, on objects it holds. `body` receives
/// the objects named by `inputs`, in order (after their types are checked),
/// and returns the result to store there, or nullptr for none. A Task lives
/// for one execute request, inside its caller's frame, so it refers to the
/// caller's inputs and callable rather than owning copies of them.
struct Task {
    std::span<const std::pair<ObjectId, const ValueType*>> inputs;
    FunctionRef<std::unique_ptr<RemoteObject>(std::span<RemoteObject* const>)> body;
};

enum class Operation : std::uint8_t { store, fetch, erase, copy, forward, execute, count, list };

struct Request {
    Operation operation = Operation::count;
    WorkerId from = model_owner_id; ///< who asks (the model owner or a worker)
    WorkerId to = model_owner_id;   ///< the worker that handles the request
    ObjectId object = 0;            ///< fetch, erase, copy, forward
    WorkerId destination = 0;       ///< forward: where the object goes
    const ValueType* type = nullptr; ///< store: how to decode; fetch: the expected type
    Bytes payload;                  ///< store: the value's bytes
    TransferKind fetch_kind = TransferKind::get; ///< fetch: get or declassify (for the log)
    std::string reason;             ///< declassify: why
    Task* task = nullptr;           ///< execute
};

struct Reply {
    ObjectId object = 0;            ///< store, copy, forward, execute: the new object (0 if none)
    Bytes payload;                  ///< fetch: the value's bytes
    std::size_t count = 0;          ///< count
    std::vector<ObjectInfo> objects; ///< list
};

class Seam;

} // namespace detail

/// Delivers requests to workers. Implementations: InProcessTransport (all
/// workers in this process); later, one process per worker.
class Transport {
public:
    virtual ~Transport() = default;
    /// Creates the endpoint of worker `id` (its object store).
    virtual void attach(WorkerId id, std::string name) = 0;
    /// Removes worker `id`; the objects it held are destroyed.
    virtual void detach(WorkerId id) noexcept = 0;
    /// Handles `request` at worker request.to. `seam` is for requests the
    /// worker itself sends while handling this one (forwarding a value to
    /// another worker).
    virtual detail::Reply deliver(detail::Request& request, detail::Seam& seam) = 0;
};

namespace detail {

/// The objects held by one worker. Thread-safe: requests for one worker may
/// arrive from several threads.
class ObjectStore {
public:
    explicit ObjectStore(std::string name) : name_(std::move(name)) {}

    Reply handle(WorkerId self, Request& request, Seam& seam);

private:
    ObjectId insert(std::unique_ptr<RemoteObject> object) {
        const std::lock_guard lock(mutex_);
        const ObjectId id = next_id_++;
        if (spare_nodes_.empty()) {
            objects_.emplace(id, std::move(object));
        } else {
            auto node = std::move(spare_nodes_.back());
            spare_nodes_.pop_back();
            node.key() = id;
            node.mapped() = std::move(object);
            objects_.insert(std::move(node));
        }
        return id;
    }

    /// The object with `id`; it stays owned by the store.
    RemoteObject& find(ObjectId id, const ValueType* expected) {
        const std::lock_guard lock(mutex_);
        return find_locked(id, expected);
    }

    /// find() for each of a task's inputs, under one lock.
    void find_all(std::span<const std::pair<ObjectId, const ValueType*>> wanted, std::span<RemoteObject*> found) {
        const std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            found[i] = &find_locked(wanted[i].first, wanted[i].second);
        }
    }

    RemoteObject& find_locked(ObjectId id, const ValueType* expected) {
        const auto it = objects_.find(id);
        if (it == objects_.end()) {
            throw RemoteObjectError("worker '" + name_ + "' holds no object " + std::to_string(id));
        }
        if (expected != nullptr && &it->second->type() != expected && it->second->type().name != expected->name) {
            throw RemoteObjectError("object " + std::to_string(id) + " at worker '" + name_ + "' holds a '" +
                                    it->second->type().name + "', not a '" + expected->name + "'");
        }
        return *it->second;
    }

    void erase(ObjectId id) {
        std::unique_ptr<RemoteObject> doomed; // destroyed outside the lock
        const std::lock_guard lock(mutex_);
        const auto it = objects_.find(id);
        if (it != objects_.end()) {
            auto node = objects_.extract(it);
            doomed = std::move(node.mapped());
            if (spare_nodes_.size() < max_spare_nodes) {
                spare_nodes_.push_back(std::move(node));
            }
        }
    }

    using Objects = std::unordered_map<ObjectId, std::unique_ptr<RemoteObject>>;

    // Objects come and go at every request (a model sent, a loss stored
    // then fetched), so the map's nodes are recycled rather than allocated
    // and freed each time; a few spares cover a round's traffic.
    static constexpr std::size_t max_spare_nodes = 16;

    std::string name_;
    std::mutex mutex_;
    Objects objects_;
    std::vector<Objects::node_type> spare_nodes_;
    ObjectId next_id_ = 1;
};

} // namespace detail

/// All workers live in this process, each with its own object store; values
/// still cross between them only as bytes.
class InProcessTransport final : public Transport {
public:
    void attach(WorkerId id, std::string name) override {
        const std::lock_guard lock(mutex_);
        if (stores_.size() <= id) {
            stores_.resize(id + 1);
        }
        stores_[id] = std::make_shared<detail::ObjectStore>(std::move(name));
    }

    void detach(WorkerId id) noexcept override {
        std::shared_ptr<detail::ObjectStore> doomed;
        const std::lock_guard lock(mutex_);
        if (id < stores_.size()) {
            doomed = std::move(stores_[id]);
        }
    }

    detail::Reply deliver(detail::Request& request, detail::Seam& seam) override {
        std::shared_ptr<detail::ObjectStore> store;
        {
            const std::lock_guard lock(mutex_);
            if (request.to < stores_.size()) {
                store = stores_[request.to];
            }
        }
        if (!store) {
            throw RemoteObjectError("worker " + std::to_string(request.to) +
                                    " no longer exists (was its Worker object destroyed before its pointers?)");
        }
        return store->handle(request.to, request, seam);
    }

private:
    // A plain mutex, not a reader-writer lock: every request takes it just
    // long enough to copy one pointer, which an uncontended std::mutex does
    // for a fraction of a pthread rwlock's cost.
    std::mutex mutex_;
    std::vector<std::shared_ptr<detail::ObjectStore>> stores_;
};

namespace detail {

/// The one place every request passes through: it logs the values that cross
/// (send, move, get, declassify) and hands the request to the transport.
class Seam {
public:
    Seam(std::string model_owner_name, std::unique_ptr<Transport> transport)
        : transport_(std::move(transport)) {
        log.name_worker(model_owner_id, model_owner_name);
        names_.push_back(std::move(model_owner_name));
    }

    Reply call(Request& request) {
        Reply reply = transport_->deliver(request, *this);
        if (request.operation == Operation::store) {
            log_transfer(request.from == model_owner_id ? TransferKind::send : TransferKind::move, *request.type,
                         request.payload.size(), request.from, request.to, {});
        } else if (request.operation == Operation::fetch) {
            log_transfer(request.fetch_kind, *request.type, reply.payload.size(), request.to, model_owner_id,
                         request.reason);
        }
        return reply;
    }

    /// Registers a worker; names are unique among live workers.
    WorkerId add_worker(std::string name) {
        WorkerId id = 0;
        {
            const std::lock_guard lock(names_mutex_);
            for (std::size_t i = 0; i < names_.size(); ++i) {
                if (live_[i] && names_[i] == name) {
                    throw ArgumentError("a worker named '" + name + "' already exists in this federation");
                }
            }
            id = static_cast<WorkerId>(names_.size());
            log.name_worker(id, name);
            names_.push_back(name);
            live_.push_back(true);
        }
        transport_->attach(id, std::move(name));
        return id;
    }

    void remove_worker(WorkerId id) noexcept {
        transport_->detach(id);
        const std::lock_guard lock(names_mutex_);
        live_[id] = false;
    }

    [[nodiscard]] std::string name_of(WorkerId id) const {
        const std::lock_guard lock(names_mutex_);
        std::string fallback;
        return std::string(name_locked(id, fallback));
    }

    TransferLog log;

private:
    /// Records a transfer by worker number and value type: the log has
    /// numbered the names when the workers joined.
    void log_transfer(TransferKind kind, const ValueType& type, std::size_t bytes, WorkerId from, WorkerId to,
                      std::string_view reason) {
        log.record_transfer(kind, &type, type.name, bytes, from, to, reason);
    }

    /// The name of `id`, with names_mutex_ held; "worker <id>", kept in
    /// `fallback`, for an id that was never registered.
    std::string_view name_locked(WorkerId id, std::string& fallback) const {
        if (id < names_.size()) {
            return names_[id];
        }
        fallback = "worker " + std::to_string(id);
        return fallback;
    }

    std::unique_ptr<Transport> transport_;
    mutable std::mutex names_mutex_; // a plain mutex, held briefly: see InProcessTransport
    std::vector<std::string> names_;
    std::vector<bool> live_{true}; // the model owner
};

inline Reply ObjectStore::handle(WorkerId self, Request& request, Seam& seam) {
    Reply reply;
    switch (request.operation) {
    case Operation::store:
        reply.object = insert(request.type->decode(request.payload, [&] {
            return "value sent from '" + seam.name_of(request.from) + "' to '" + name_ + "'";
        }));
        break;
    case Operation::fetch: {
        RemoteObject& object = find(request.object, request.type);
        reply.payload = object.type().encode(object);
        erase(request.object);
        break;
    }
    case Operation::erase:
        erase(request.object);
        break;
    case Operation::copy: {
        RemoteObject& object = find(request.object, request.type);
        const ValueType& type = object.type();
        reply.object = insert(type.decode(type.encode(object), [&] { return "copy at '" + name_ + "'"; }));
        break;
    }
    case Operation::forward: {
        // Encode here, store at the destination, and only then let go of
        // the original: a failed transfer loses nothing.
        RemoteObject& object = find(request.object, request.type);
        Request store;
        store.operation = Operation::store;
        store.from = self;
        store.to = request.destination;
        store.type = &object.type();
        store.payload = object.type().encode(object);
        reply.object = seam.call(store).object;
        erase(request.object);
        break;
    }
    case Operation::execute: {
        // Most tasks take a few inputs (a model and its data); fedavg may
        // take hundreds.
        constexpr std::size_t usual_inputs = 8;
        std::array<RemoteObject*, usual_inputs> usual;
        std::vector<RemoteObject*> many;
        const std::size_t count = request.task->inputs.size();
        if (count > usual_inputs) {
            many.resize(count);
        }
        const std::span<RemoteObject*> inputs(count > usual_inputs ? many.data() : usual.data(), count);
        find_all(request.task->inputs, inputs);
        if (auto result = request.task->body(inputs)) {
            reply.object = insert(std::move(result));
        }
        break;
    }
    case Operation::count: {
        const std::lock_guard lock(mutex_);
        reply.count = objects_.size();
        break;
    }
    case Operation::list: {
        const std::lock_guard lock(mutex_);
        for (const auto& [id, object] : objects_) {
            reply.objects.push_back({id, object->type().name});
        }
        std::sort(reply.objects.begin(), reply.objects.end(),
                  [](const ObjectInfo& a, const ObjectInfo& b) { return a.id < b.id; });
        break;
    }
    }
    return reply;
}

} // namespace detail

} // namespace fedpp
