// fedpp: an object store's part in Request::forward_into: handing a value
// over to a computation at another store of this process, and running that
// computation (see InProcessTransport::forward_into). Definitions of
// ObjectStore's members (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/invocation_inputs.hpp"
#include "fedpp/transport/object_shard.hpp"
#include "fedpp/transport/object_store.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/value_type.hpp"

#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

namespace fedpp {

FEDPP_INLINE void ObjectStore::require_forward_target(const Request& request) const {
    require_open();
    if (!trusted_ || request.computation == nullptr || !detail::forward_target_of(*request.computation)) {
        throw RemoteObjectError("worker '" + name_ +
                                "': a value is forwarded into a computation only if it is one of fedpp's "
                                "aggregations that reads it and keeps nothing of it, at a trusted worker");
    }
}

FEDPP_INLINE Reply ObjectStore::execute_forwarded(const Request& request,
                                                  detail::FunctionRef<detail::HeldObject()> forwarded,
                                                  const ExecutionContext& context) {
    require_forward_target(request);
    const std::size_t named = request.inputs.size();
    detail::InvocationInputs inputs(named + 1);
    for (std::size_t i = 0; i < named; ++i) {
        inputs.set(i, find(request.inputs[i].id, request.inputs[i].type));
    }
    inputs.expect(named, *request.type);
    inputs.check(*request.computation, name_);
    inputs.set(named, forwarded());
    try {
        return run_computation(request, inputs, context);
    } catch (...) {
        Reply reply;
        reply.refused = std::current_exception();
        return reply;
    }
}

FEDPP_INLINE detail::HeldObject ObjectStore::hand_over(ObjectId id, const ValueType& expected, bool& taken) {
    if (is_published(id)) {
        throw RemoteObjectError("worker '" + name_ + "': object " + std::to_string(id) +
                                " is data the worker published, which stays where it is");
    }
    detail::ObjectShard& holder = shard_of(id);
    const std::lock_guard lock(holder.mutex);
    detail::HeldObject held = find_locked(holder, id, &expected);
    // Ours and the store's are the only handles: no request is using it, and
    // none can start once it is out of the store.
    taken = held.object.holders() == 2;
    if (taken) {
        (void)holder.take(id); // our handle keeps it
    }
    return held;
}

} // namespace fedpp
