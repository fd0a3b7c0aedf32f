// fedpp: InProcessTransport's definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/in_process_transport.hpp"
#include "fedpp/transport/object_store.hpp"
#include "fedpp/transport/value_type.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace fedpp {

FEDPP_INLINE InProcessTransport::~InProcessTransport() = default;

FEDPP_INLINE void InProcessTransport::attach(WorkerId id, std::string name, bool trusted) {
    const auto [segment, offset] = locate(id);
    const std::lock_guard lock(mutex_);
    Slot* slots = segments_[segment].load(std::memory_order_relaxed);
    if (slots == nullptr) {
        owned_segments_.push_back(std::make_unique<Slot[]>(first_segment_slots << segment));
        slots = owned_segments_.back().get();
        segments_[segment].store(slots, std::memory_order_release);
    }
    owned_stores_.push_back(
        std::make_unique<ObjectStore>(std::move(name), trusted, trusted ? trusted_store_shards : 1));
    slots[offset].store(owned_stores_.back().get(), std::memory_order_release);
}

FEDPP_INLINE Reply InProcessTransport::deliver(const Request& request) {
    ObjectStore& store = store_of(request.to);
    if (request.operation == Operation::forward) {
        return forward(store, request);
    }
    if (request.operation == Operation::forward_into) {
        return forward_into(store, request);
    }
    return store.handle(request, [&] { return sender_name(request.from); }, no_contributor, {this, true});
}

FEDPP_INLINE ObjectStore& InProcessTransport::store_of(WorkerId id) const {
    ObjectStore* store = find_store(id);
    if (store == nullptr) {
        throw RemoteObjectError("worker " + std::to_string(id) +
                                " no longer exists (was its Worker object destroyed before its pointers?)");
    }
    return *store;
}

FEDPP_INLINE std::string InProcessTransport::sender_name(WorkerId id) const {
    if (id == model_owner_id) {
        return "the model owner";
    }
    const ObjectStore* store = find_store(id);
    return store != nullptr ? "'" + store->name() + "'" : "worker " + std::to_string(id);
}

FEDPP_INLINE Reply InProcessTransport::forward(ObjectStore& source, const Request& request) {
    ObjectStore& destination = store_of(request.destination);
    const Bytes bytes = source.encode(request.object, request.type);
    const ContributorId contributor = source.trusted() ? no_contributor : ContributorId{request.to};
    Reply reply;
    reply.object = destination.store(
        *request.type, bytes,
        [&] { return "value moved from '" + source.name() + "' to '" + destination.name() + "'"; }, contributor);
    reply.moved_bytes = bytes.size();
    source.erase(request.object);
    return reply;
}

FEDPP_INLINE Reply InProcessTransport::forward_into(ObjectStore& source, const Request& request) {
    if (source.trusted() || request.destination == request.to) {
        throw RemoteObjectError("worker '" + source.name() +
                                "': only a data owner forwards a value into another worker's computation");
    }
    ObjectStore& destination = store_of(request.destination);
    bool taken = false;
    std::size_t moved_bytes = 0;
    Reply reply = destination.execute_forwarded(
        request,
        [&] {
            detail::HeldObject held = source.hand_over(request.object, *request.type, taken);
            held.contributor = ContributorId{request.to};
            const ValueType& type = held.object->type();
            if (taken && request.computation->reads_in_place(*held.object)) {
                moved_bytes = type.encoded_size(*held.object); // (every registered ValueType has it)
                return held;
            }
            const Bytes bytes = type.encode(*held.object);
            moved_bytes = bytes.size();
            return detail::HeldObject{
                detail::ObjectHandle(detail::decode_value(type, bytes, [] { return std::string("a forward"); })),
                held.contributor};
        },
        {this, true});
    if (!taken) {
        source.erase(request.object);
    }
    reply.moved_bytes = moved_bytes;
    return reply;
}

} // namespace fedpp
