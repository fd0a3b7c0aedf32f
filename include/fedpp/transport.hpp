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
#include <atomic>
#include <bit>
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

/// Bytes somebody else keeps alive, viewed: what a request carries. It
/// binds to a Bytes the caller holds, never to a temporary one
/// (`request.payload = to_bytes(x)` does not compile: it would dangle).
class BorrowedBytes {
public:
    BorrowedBytes() noexcept = default;
    BorrowedBytes(const Bytes& bytes) noexcept : view_(bytes) {} // NOLINT: implicit, like a span
    BorrowedBytes(Bytes&&) = delete;
    operator std::span<const std::byte>() const noexcept { return view_; } // NOLINT: implicit, like a span
    [[nodiscard]] std::size_t size() const noexcept { return view_.size(); }

private:
    std::span<const std::byte> view_;
};

enum class Operation : std::uint8_t { store, fetch, erase, copy, forward, execute, count, list };

struct Request {
    Operation operation = Operation::count;
    WorkerId from = model_owner_id; ///< who asks (the model owner or a worker)
    WorkerId to = model_owner_id;   ///< the worker that handles the request
    ObjectId object = 0;            ///< fetch, erase, copy, forward
    WorkerId destination = 0;       ///< forward: where the object goes
    const ValueType* type = nullptr; ///< store: how to decode; fetch: the expected type
    /// store: the value's bytes, owned by the sender for the duration of the
    /// (synchronous) call, so that one encoding can be sent to many workers.
    BorrowedBytes payload;
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
    /// Creates the endpoint of worker `id` (its object store). A trusted
    /// worker aggregates: expect many threads to send to it at once.
    virtual void attach(WorkerId id, std::string name, bool trusted) = 0;
    /// Removes worker `id`: later requests to it fail with
    /// RemoteObjectError, except deleting an object, which its pointers
    /// still do when they go.
    virtual void detach(WorkerId id) noexcept = 0;
    /// Handles `request` at worker request.to. `seam` is for requests the
    /// worker itself sends while handling this one (forwarding a value to
    /// another worker).
    virtual detail::Reply deliver(detail::Request& request, detail::Seam& seam) = 0;
};

namespace detail {

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

    Reply handle(WorkerId self, Request& request, Seam& seam);

    /// The worker left: every later request but erase fails with
    /// RemoteObjectError. The objects stay until their pointers delete them
    /// (erase still works) or the transport goes: a request that was
    /// already running when the worker left may still be using them.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

private:
    using Objects = std::unordered_map<ObjectId, std::unique_ptr<RemoteObject>>;

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

    ObjectId insert(std::unique_ptr<RemoteObject> object) {
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
    RemoteObject& find(ObjectId id, const ValueType* expected) {
        Shard& shard = shard_of(id);
        const std::lock_guard lock(shard.mutex);
        require_open();
        const auto it = shard.objects.find(id);
        if (it == shard.objects.end()) {
            throw RemoteObjectError("worker '" + name_ + "' holds no object " + std::to_string(id));
        }
        if (expected != nullptr && &it->second->type() != expected && it->second->type().name != expected->name) {
            throw RemoteObjectError("object " + std::to_string(id) + " at worker '" + name_ + "' holds a '" +
                                    it->second->type().name + "', not a '" + expected->name + "'");
        }
        return *it->second;
    }

    /// find() for each of a task's inputs.
    void find_all(std::span<const std::pair<ObjectId, const ValueType*>> wanted, std::span<RemoteObject*> found) {
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            found[i] = &find(wanted[i].first, wanted[i].second);
        }
    }

    void erase(ObjectId id) {
        Shard& shard = shard_of(id);
        std::unique_ptr<RemoteObject> doomed; // destroyed after the lock is released
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

    std::size_t count() {
        std::size_t total = 0;
        for (Shard& shard : shards()) {
            const std::lock_guard lock(shard.mutex);
            total += shard.objects.size();
        }
        return total;
    }

    std::vector<ObjectInfo> list() {
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

    std::string name_;
    std::size_t shard_count_;
    std::unique_ptr<Shard[]> shards_;
    std::atomic<bool> closed_{false};
};

} // namespace detail

/// All workers live in this process, each with its own object store; values
/// still cross between them only as bytes.
///
/// Requests from many threads find their worker's store without a lock and
/// without touching a shared counter (clients training in parallel would
/// otherwise queue on it): stores sit in fixed slots, written only when a
/// worker joins or leaves. The slots come in segments of 16, 32, 64, ...
/// slots, allocated as workers join, so a federation of three workers costs
/// a few cache lines and one of a million workers 16 segments; a segment
/// never moves once allocated. A worker that leaves has its store closed,
/// not freed, until the transport goes: a request racing with a departing
/// worker meets a closed store and a clear error, never freed memory, and
/// pointers that outlive their worker can still delete their objects. That
/// keeps one small object per departed worker.
class InProcessTransport final : public Transport {
public:
    /// Shards of a trusted worker's store (see ObjectStore).
    static constexpr std::size_t trusted_store_shards = 8;

    void attach(WorkerId id, std::string name, bool trusted) override {
        const auto [segment, offset] = locate(id);
        const std::lock_guard lock(mutex_);
        Slot* slots = segments_[segment].load(std::memory_order_relaxed);
        if (slots == nullptr) {
            owned_segments_.push_back(std::make_unique<Slot[]>(first_segment_slots << segment));
            slots = owned_segments_.back().get();
            segments_[segment].store(slots, std::memory_order_release);
        }
        owned_stores_.push_back(
            std::make_unique<detail::ObjectStore>(std::move(name), trusted ? trusted_store_shards : 1));
        slots[offset].store(owned_stores_.back().get(), std::memory_order_release);
    }

    void detach(WorkerId id) noexcept override {
        // The slot keeps the closed store: pointers that outlive their
        // worker still reach it to delete their objects.
        if (detail::ObjectStore* store = find_store(id)) {
            store->close();
        }
    }

    detail::Reply deliver(detail::Request& request, detail::Seam& seam) override {
        detail::ObjectStore* store = find_store(request.to);
        if (store == nullptr) {
            throw RemoteObjectError("worker " + std::to_string(request.to) +
                                    " no longer exists (was its Worker object destroyed before its pointers?)");
        }
        return store->handle(request.to, request, seam);
    }

private:
    using Slot = std::atomic<detail::ObjectStore*>;

    // Segment k holds first_segment_slots << k slots: worker ids
    // [16 (2^k - 1), 16 (2^(k+1) - 1)). 29 segments cover every WorkerId.
    static constexpr std::size_t first_segment_slots = 16;
    static constexpr int first_segment_bits = 4; // log2(first_segment_slots)
    static constexpr std::size_t segment_count = 29;

    struct Location {
        std::size_t segment;
        std::size_t offset;
    };
    static Location locate(WorkerId id) noexcept {
        const std::uint64_t n = std::uint64_t{id} + first_segment_slots;
        const auto segment = static_cast<std::size_t>(std::bit_width(n) - 1 - first_segment_bits);
        return {segment, static_cast<std::size_t>(n - (std::uint64_t{first_segment_slots} << segment))};
    }

    detail::ObjectStore* find_store(WorkerId id) const noexcept {
        const auto [segment, offset] = locate(id);
        const Slot* slots = segments_[segment].load(std::memory_order_acquire);
        return slots != nullptr ? slots[offset].load(std::memory_order_acquire) : nullptr;
    }

    std::mutex mutex_; // attach only
    std::array<std::atomic<Slot*>, segment_count> segments_{};
    std::vector<std::unique_ptr<Slot[]>> owned_segments_;
    std::vector<std::unique_ptr<detail::ObjectStore>> owned_stores_; // every store ever attached
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
    WorkerId add_worker(std::string name, bool trusted) {
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
        transport_->attach(id, std::move(name), trusted);
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
        const Bytes bytes = object.type().encode(object);
        store.payload = bytes;
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
    case Operation::count:
        reply.count = count();
        break;
    case Operation::list:
        reply.objects = list();
        break;
    }
    return reply;
}

} // namespace detail

} // namespace fedpp
