// fedpp: running a computation where values live.
//
// Worker::run, fedavg and the remote operators all execute a function at a
// worker, on the objects their pointers refer to, through one request.
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/seam.hpp"
#include "fedpp/transport/value_type.hpp"

#include <array>
#include <cstddef>
#include <functional> // std::invoke
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

namespace fedpp::detail {

/// Calls `function` on the stored values, returning the result to store (or
/// nullptr when the function returns void).
template <class Result, class... Ts, class F, std::size_t... I>
std::unique_ptr<RemoteObject> invoke_on_objects(F& function, std::span<RemoteObject* const> objects,
                                                std::index_sequence<I...>) {
    if constexpr (std::is_void_v<Result>) {
        std::invoke(function, static_cast<RemoteValue<Ts>&>(*objects[I]).value...);
        return nullptr;
    } else {
        return std::make_unique<RemoteValue<Result>>(
            std::invoke(function, static_cast<RemoteValue<Ts>&>(*objects[I]).value...));
    }
}

/// Runs `body` at worker `worker` on the objects `inputs` name (each checked
/// to hold its type) and returns a Pointer<Result, L> to the result stored
/// there, or nothing when Result is void. The one path by which fedpp runs
/// code at a worker: Worker::run, the remote operators and every
/// aggregation come through here.
template <class Result, Location L, class Body>
auto execute_at(const std::shared_ptr<Seam>& seam, WorkerId worker,
                std::span<const std::pair<ObjectId, const ValueType*>> inputs, const Body& body) {
    const Task task{inputs, body};
    const ObjectId result = seam->call(Request::execute(worker, task)).object;
    if constexpr (!std::is_void_v<Result>) {
        return PointerAccess::make<Result, L>(seam, worker, result);
    }
}

/// Runs `function(T&...)` at worker `worker` on the objects the pointers
/// refer to. Returns a Pointer<Result, L> to the result stored there, or
/// nothing when the function returns void.
template <Location L, class F, class... Ts, class... Ls>
auto run_at(const std::shared_ptr<Seam>& seam, WorkerId worker, const char* operation, F&& function,
            const Pointer<Ts, Ls>&... args) {
    using Result = std::remove_cvref_t<std::invoke_result_t<F&, Ts&...>>;
    static_assert(std::is_void_v<Result> || Serializable<Result>,
                  "fedpp: the result of a function run at a worker stays there, so its type needs a "
                  "fedpp::Codec specialisation (or return void)");
    (PointerAccess::require_at(args, seam, worker, operation), ...);
    const std::array<std::pair<ObjectId, const ValueType*>, sizeof...(Ts)> inputs{{{args.id(), &value_type<Ts>()}...}};
    const auto body = [&function](std::span<RemoteObject* const> objects) {
        return invoke_on_objects<Result, Ts...>(function, objects, std::index_sequence_for<Ts...>{});
    };
    return execute_at<Result, L>(seam, worker, inputs, body);
}

} // namespace fedpp::detail
