// fedpp: ObjectStore, the values one worker holds.
//
// A store decodes what it is sent into objects of its own (no two parties
// share memory), hands out ids, and serves every request to its worker but
// the forwards, which need two stores and are the transport's to carry out.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/invocation_inputs.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp {

/// The objects held by one worker. Thread-safe. A trusted aggregator
/// receives every client's update from every training thread at once, so
/// its store is split into shards, each a lock and a vector of its objects
/// sorted by id: a thread stores into the shard its thread number picks (an
/// object's id says which), so threads rarely wait for one another. A data
/// owner's store (one of a million, perhaps) has one shard, inside it: 184
/// bytes and one allocation before its objects.
class ObjectStore {
public:
    /// The store of worker `name`; a trusted worker's (an aggregator's) is
    /// split into shards, for the many threads that send to it at once. Its
    /// objects are numbered from `first_serial` on (1 to 2^40; a party
    /// starts at a random one, so that ids held from before it restarted do
    /// not name its new objects).
    ObjectStore(std::string name, bool trusted, std::size_t shard_count = 1, ObjectId first_serial = 1)
        : name_(std::move(name)), trusted_(trusted), shard_count_(std::max<std::size_t>(shard_count, 1)),
          more_shards_(shard_count_ > 1 ? std::make_unique<detail::SeparateObjectShard[]>(shard_count_ - 1)
                                        : nullptr) {
        const ObjectId first = std::clamp<ObjectId>(first_serial, 1, max_first_serial);
        for (std::size_t i = 0; i < shard_count_; ++i) {
            shard(i).next_serial = first;
        }
    }

    /// The largest first serial number: ids stay far below published data's.
    static constexpr ObjectId max_first_serial = ObjectId{1} << 40;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    [[nodiscard]] bool trusted() const noexcept { return trusted_; }

    /// A worker's own policy, in what its computations make (Invocation):
    /// the least number of data owners any aggregate made here combines,
    /// whatever a caller asks, and the secret DP noise is drawn with (0: none).
    void set_rules(std::size_t min_contributions, std::uint64_t noise_secret) noexcept {
        min_contributions_ = static_cast<std::uint32_t>(
            std::min<std::size_t>(min_contributions, std::numeric_limits<std::uint32_t>::max()));
        noise_secret_ = noise_secret;
    }

    /// Serves `request` (any operation but forward; a computation in
    /// `context`). `sender` names who sent a stored value, for the message if
    /// it does not decode; `contributor`: the data owner it comes from.
    Reply handle(const Request& request, detail::LazyText sender, ContributorId contributor = no_contributor,
                 const ExecutionContext& context = {});

    /// The encoding of object `id`, which must hold an `expected` (if given):
    /// what a transport forwarding it sends on.
    [[nodiscard]] Bytes encode(ObjectId id, const ValueType* expected) {
        const Held held = find(id, expected); // held while it is encoded
        return held.object->type().encode(*held.object);
    }

    /// Object `id`, which must hold an `expected`, for a forward_into:
    /// taken out of the store when nothing else holds it now (`taken`),
    /// else only held (erase it once it crossed).
    /// RemoteObjectError if it is not here, or is published data, which
    /// stays where it is.
    detail::HeldObject hand_over(ObjectId id, const ValueType& expected, bool& taken);

    /// A forward_into's computation here: its inputs here are found and
    /// checked, and only then does `forwarded()` bring the last one, from
    /// another store of this process. Errors until then mean nothing
    /// crossed; the computation's own failure is reply.refused.
    /// RemoteObjectError unless require_forward_target(request).
    Reply execute_forwarded(const Request& request, detail::FunctionRef<detail::HeldObject()> forwarded,
                            const ExecutionContext& context);

    /// RemoteObjectError unless this worker is open and trusted and the
    /// computation one of fedpp's aggregations that takes forwarded values
    /// (detail::forward_target_of): checked before the value leaves.
    void require_forward_target(const Request& request) const;

    /// Stores a value decoded from `bytes` as `type`, contributed by
    /// `contributor`; returns its id.
    ObjectId store(const ValueType& type, std::span<const std::byte> bytes, detail::LazyText what,
                   ContributorId contributor = no_contributor) {
        return insert(detail::decode_value(type, bytes, what), contributor);
    }

    /// The same, read to its end from `in` (chunks decoded as they arrive).
    ObjectId store(const ValueType& type, ByteReader& in, ContributorId contributor = no_contributor) {
        return insert(type.decode(in), contributor);
    }

    /// Deletes object `id`, if it is here (also after close()); published data stays.
    void erase(ObjectId id);

    /// This worker's own data, published under `tag`: requests may use it in
    /// computations (find it by its tag), never delete it. Its id depends on
    /// the tag alone, so that it is the same after the worker restarts.
    /// Published again, the tag's data is replaced (computations already
    /// running on the old data finish with it).
    ObjectId publish(std::string_view tag, const ValueType& type, std::span<const std::byte> bytes) {
        const ObjectId id = detail::published_id(tag);
        auto object = detail::decode_value(type, bytes, [&] { return "data published as '" + std::string(tag) + "'"; });
        {
            Shard& shard = shard_of(id);
            detail::ObjectHandle replaced; // let go of after the lock is released
            const std::lock_guard lock(shard.mutex);
            replaced = shard.put({id, detail::ObjectHandle(std::move(object)), no_contributor});
        }
        const std::lock_guard lock(first_shard_.mutex);
        if (find_tag(tag) == published_.end()) { // (a tag published again keeps its id)
            published_.emplace_back(tag, id);
        }
        any_published_.store(true, std::memory_order_release);
        return id;
    }

    /// The object published under `tag`, which must hold a `type`.
    ObjectId published(std::string_view tag, const ValueType& type) {
        ObjectId id = 0;
        {
            const std::lock_guard lock(first_shard_.mutex);
            const auto it = find_tag(tag);
            if (it == published_.end()) {
                throw RemoteObjectError("worker '" + name_ + "' publishes nothing under '" + std::string(tag) + "'");
            }
            id = it->second;
        }
        (void)find(id, &type); // RemoteObjectError if it holds another type
        return id;
    }

    /// What object `id` holds and who contributed it (RemoteObjectError if
    /// there is none).
    struct Description {
        const ValueType* type;
        ContributorId contributor;
    };
    [[nodiscard]] Description describe(ObjectId id) {
        const Held held = find(id, nullptr);
        return {&held.object->type(), held.contributor};
    }

    /// The worker left: every later request but erase fails with
    /// RemoteObjectError. The objects stay until their pointers delete them
    /// (erase still works) or the transport goes: a request that was
    /// already running when the worker left may still be using them.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

private:
    using Held = detail::HeldObject;
    using Shard = detail::ObjectShard;

    /// The shard this thread stores into.
    std::size_t shard_of_this_thread() const noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t thread_number = next.fetch_add(1, std::memory_order_relaxed);
        return thread_number % shard_count_;
    }

    Shard& shard(std::size_t index) noexcept { return index == 0 ? first_shard_ : more_shards_[index - 1]; }
    Shard& shard_of(ObjectId id) noexcept { return shard(id % shard_count_); }

    void require_open() const {
        if (closed_.load(std::memory_order_acquire)) {
            throw RemoteObjectError("worker '" + name_ +
                                    "' no longer exists (was its Worker object destroyed before its pointers?)");
        }
    }

    ObjectId insert(std::unique_ptr<detail::RemoteObject> object, ContributorId contributor);
    Held find(ObjectId id, const ValueType* expected);
    /// find() for a caller that holds `holder`'s lock (`holder`: id's shard).
    Held find_locked(Shard& holder, ObjectId id, const ValueType* expected);
    Reply execute(const Request& request, const ExecutionContext& context);
    /// Runs `request`'s computation on `inputs`, storing its result (if any) here.
    Reply run_computation(const Request& request, detail::InvocationInputs& inputs, const ExecutionContext& context);
    std::size_t count();
    std::vector<ObjectInfo> list();

    using Tags = std::vector<std::pair<std::string, ObjectId>>;
    /// The entry of `tag` in published_ (under the first shard's lock).
    Tags::iterator find_tag(std::string_view tag) {
        return std::find_if(published_.begin(), published_.end(),
                            [&](const auto& entry) { return entry.first == tag; });
    }

    [[nodiscard]] bool is_published(ObjectId id) {
        if (!any_published_.load(std::memory_order_acquire)) {
            return false; // the usual case, without a lock
        }
        const std::lock_guard lock(first_shard_.mutex);
        for (const auto& [tag, published] : published_) {
            if (published == id) {
                return true;
            }
        }
        return false;
    }

    std::string name_;
    bool trusted_;
    std::uint32_t min_contributions_ = 0; // (beside trusted_: a data owner's store stays 184 bytes)
    Tags published_; // a worker publishes a handful; guarded by the first shard's lock
    std::atomic<bool> any_published_{false};
    std::uint64_t noise_secret_ = 0;
    std::size_t shard_count_;
    Shard first_shard_;
    std::unique_ptr<detail::SeparateObjectShard[]> more_shards_; // a trusted store's other shards
    std::atomic<bool> closed_{false};
};

inline ObjectId ObjectStore::insert(std::unique_ptr<detail::RemoteObject> object, ContributorId contributor) {
    const std::size_t index = shard_of_this_thread();
    Shard& target = shard(index);
    const std::lock_guard lock(target.mutex);
    require_open();
    const ObjectId id = target.next_serial++ * shard_count_ + index;
    (void)target.put({id, detail::ObjectHandle(std::move(object)), contributor}); // a new id: nothing replaced
    return id;
}

/// The object with `id` and who contributed it; it stays owned by the store.
inline ObjectStore::Held ObjectStore::find(ObjectId id, const ValueType* expected) {
    Shard& holder = shard_of(id);
    const std::lock_guard lock(holder.mutex);
    return find_locked(holder, id, expected);
}

inline ObjectStore::Held ObjectStore::find_locked(Shard& holder, ObjectId id, const ValueType* expected) {
    require_open();
    const detail::StoredObject* entry = holder.find(id);
    if (entry == nullptr) {
        throw RemoteObjectError("worker '" + name_ + "' holds no object " + std::to_string(id));
    }
    const ValueType& held = entry->object->type();
    if (expected != nullptr && !held.same_as(*expected)) {
        throw RemoteObjectError("object " + std::to_string(id) + " at worker '" + name_ + "' holds a '" + held.name +
                                "', not a '" + expected->name + "'");
    }
    return {entry->object, entry->contributor};
}

inline void ObjectStore::erase(ObjectId id) {
    if (is_published(id)) {
        return;
    }
    Shard& holder = shard_of(id);
    detail::ObjectHandle doomed; // let go of after the lock is released
    const std::lock_guard lock(holder.mutex);
    doomed = holder.take(id);
}

inline std::size_t ObjectStore::count() {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const std::lock_guard lock(shard(i).mutex);
        total += shard(i).size();
    }
    return total;
}

inline std::vector<ObjectInfo> ObjectStore::list() {
    std::vector<ObjectInfo> objects;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const std::lock_guard lock(shard(i).mutex);
        shard(i).for_each(
            [&](const detail::StoredObject& entry) { objects.push_back({entry.id, entry.object->type().name}); });
    }
    std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.id < b.id; });
    return objects;
}

inline Reply ObjectStore::run_computation(const Request& request, detail::InvocationInputs& inputs,
                                          const ExecutionContext& context) {
    Reply reply;
    if (auto result = inputs.invoke(*request.computation, name_, request.payload, min_contributions_, noise_secret_,
                                    context)) {
        reply.object = insert(std::move(result), no_contributor);
    }
    return reply;
}

/// Runs a computation on the objects a request names.
inline Reply ObjectStore::execute(const Request& request, const ExecutionContext& context) {
    detail::InvocationInputs inputs(request.inputs.size());
    for (std::size_t i = 0; i < request.inputs.size(); ++i) {
        inputs.set(i, find(request.inputs[i].id, request.inputs[i].type));
    }
    inputs.check(*request.computation, name_);
    return run_computation(request, inputs, context);
}

inline Reply ObjectStore::handle(const Request& request, detail::LazyText sender, ContributorId contributor,
                                 const ExecutionContext& context) {
    Reply reply;
    switch (request.operation) {
    case Operation::store: {
        const Bytes encoded = request.encoding != nullptr ? request.encoding->bytes() : Bytes(); // (not streamed)
        reply.object = store(*request.type, request.encoding != nullptr ? encoded : request.payload,
                             [&] { return "value sent from " + sender() + " to '" + name_ + "'"; }, contributor);
        break;
    }
    case Operation::fetch:
        reply.payload = encode(request.object, request.type);
        erase(request.object);
        break;
    case Operation::erase: erase(request.object); break;
    case Operation::copy: {
        const Held held = find(request.object, request.type);
        const Bytes bytes = held.object->type().encode(*held.object);
        reply.object = store(held.object->type(), bytes, [&] { return "copy at '" + name_ + "'"; }, held.contributor);
        break;
    }
    case Operation::execute: reply = execute(request, context); break;
    case Operation::find: reply.object = published(request.tag, *request.type); break;
    case Operation::count: reply.count = count(); break;
    case Operation::list: reply.objects = list(); break;
    case Operation::forward:
    case Operation::forward_into:
        throw RemoteObjectError("ObjectStore '" + name_ + "': a forward is carried out by the transport");
    }
    return reply;
}

} // namespace fedpp

#include "fedpp/transport/object_store_forwarding.hpp" // (its forward_into members)
