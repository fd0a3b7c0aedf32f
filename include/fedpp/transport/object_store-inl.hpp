// fedpp: ObjectStore's definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/invocation_inputs.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/object_store.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp {

FEDPP_INLINE ObjectId ObjectStore::publish(std::string_view tag, const ValueType& type,
                                           std::span<const std::byte> bytes) {
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

FEDPP_INLINE ObjectId ObjectStore::published(std::string_view tag, const ValueType& type) {
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

FEDPP_INLINE ObjectId ObjectStore::insert(std::unique_ptr<detail::RemoteObject> object, ContributorId contributor) {
    const std::size_t index = shard_of_this_thread();
    Shard& target = shard(index);
    const std::lock_guard lock(target.mutex);
    require_open();
    const ObjectId id = target.next_serial++ * shard_count_ + index;
    (void)target.put({id, detail::ObjectHandle(std::move(object)), contributor}); // a new id: nothing replaced
    return id;
}

/// The object with `id` and who contributed it; it stays owned by the store.
FEDPP_INLINE ObjectStore::Held ObjectStore::find(ObjectId id, const ValueType* expected) {
    Shard& holder = shard_of(id);
    const std::lock_guard lock(holder.mutex);
    return find_locked(holder, id, expected);
}

FEDPP_INLINE ObjectStore::Held ObjectStore::find_locked(Shard& holder, ObjectId id, const ValueType* expected) {
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

FEDPP_INLINE void ObjectStore::erase(ObjectId id) {
    if (is_published(id)) {
        return;
    }
    Shard& holder = shard_of(id);
    detail::ObjectHandle doomed; // let go of after the lock is released
    const std::lock_guard lock(holder.mutex);
    doomed = holder.take(id);
}

FEDPP_INLINE std::size_t ObjectStore::count() {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const std::lock_guard lock(shard(i).mutex);
        total += shard(i).size();
    }
    return total;
}

FEDPP_INLINE std::vector<ObjectInfo> ObjectStore::list() {
    std::vector<ObjectInfo> objects;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const std::lock_guard lock(shard(i).mutex);
        shard(i).for_each(
            [&](const detail::StoredObject& entry) { objects.push_back({entry.id, entry.object->type().name}); });
    }
    std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.id < b.id; });
    return objects;
}

FEDPP_INLINE Reply ObjectStore::run_computation(const Request& request, detail::InvocationInputs& inputs,
                                                const ExecutionContext& context) {
    Reply reply;
    static const WorkerRules none;
    if (auto result = inputs.invoke(*request.computation, name_, request.payload, rules_ ? *rules_ : none, context)) {
        reply.object = insert(std::move(result), no_contributor);
    }
    return reply;
}

/// Runs a computation on the objects a request names.
FEDPP_INLINE Reply ObjectStore::execute(const Request& request, const ExecutionContext& context) {
    detail::InvocationInputs inputs(request.inputs.size());
    // One lock for each run of inputs held in the same shard: a data owner's
    // store has one shard, so a computation's inputs are found under one lock.
    for (std::size_t i = 0; i < request.inputs.size();) {
        Shard& holder = shard_of(request.inputs[i].id);
        const std::lock_guard lock(holder.mutex);
        for (; i < request.inputs.size() && &shard_of(request.inputs[i].id) == &holder; ++i) {
            inputs.set(i, find_locked(holder, request.inputs[i].id, request.inputs[i].type));
        }
    }
    inputs.check(*request.computation, name_);
    return run_computation(request, inputs, context);
}

FEDPP_INLINE Reply ObjectStore::handle(const Request& request, detail::LazyText sender, ContributorId contributor,
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
