// fedpp: running a computation where values live.
//
// Worker::run, the remote operators and every aggregation execute a
// Computation at a worker, on the objects their pointers refer to, with
// by-value arguments encoded into the request, through one request
// (execute_at).
#pragma once

#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/located/computation.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/transport/computation.hpp"
#include "fedpp/transport/request.hpp"
#include "fedpp/transport/seam.hpp"
#include "fedpp/transport/value_type.hpp"

#include <array>
#include <cstddef>
#include <functional> // std::invoke
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// A computation's parameter that is an object at the worker (of any
/// location: a computation does not depend on where it runs).
template <class T>
struct Object {};

template <class A>
struct PointerArgument : std::false_type {};
template <class T, Location L>
struct PointerArgument<Pointer<T, L>> : std::true_type {
    using value_type = T;
};
template <class T>
struct PointerArgument<Object<T>> : std::true_type {
    using value_type = T;
};

/// What an argument of run() is to the computation: Object<T> for a
/// Pointer<T, L> (whatever L), the value's type otherwise.
template <class A>
using ParameterKind = std::conditional_t<PointerArgument<A>::value, Object<typename PointerArgument<A>::value_type>,
                                         std::remove_cvref_t<A>>;

/// What a computation's parameter is for run's argument A: the value a
/// pointer refers to (T&), or a copy of a by-value argument (const V&).
template <class A>
using ParameterOf = std::conditional_t<PointerArgument<A>::value, typename PointerArgument<A>::value_type&,
                                       const std::remove_cvref_t<A>&>;

/// Where a parameter's value is kept while the computation runs: a pointer
/// into the store, or the decoded copy.
template <class A>
using SlotOf = std::conditional_t<PointerArgument<A>::value, typename PointerArgument<A>::value_type*,
                                  std::optional<std::remove_cvref_t<A>>>;

/// A Computation that calls F (stateless) with run's arguments Args: the
/// objects of the pointer arguments, in order, and the decoded by-value
/// arguments.
template <class F, class... Args>
struct RunComputation {
    using Function = typename FunctionOf<F>::type;
    using Result = std::remove_cvref_t<std::invoke_result_t<Function&, ParameterOf<Args>...>>;

    static std::string name() {
        const std::string given = FunctionOf<F>::name();
        return given.empty() ? given : given + "(" + parameter_names() + ")";
    }

    static std::vector<const ValueType*> inputs() {
        std::vector<const ValueType*> types;
        const auto add = [&types]<class A>(std::type_identity<A>) {
            if constexpr (PointerArgument<A>::value) {
                types.push_back(&value_type<typename PointerArgument<A>::value_type>());
            }
        };
        (add(std::type_identity<Args>{}), ...);
        return types;
    }

    static std::string parameter_names() {
        std::string text;
        ((text += (text.empty() ? "" : ", ") + parameter_name<Args>()), ...);
        return text;
    }

    template <class A>
    static std::string parameter_name() {
        if constexpr (PointerArgument<A>::value) {
            return type_name_of<typename PointerArgument<A>::value_type>() + "&";
        } else {
            return type_name_of<std::remove_cvref_t<A>>();
        }
    }

    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        // A lazy name: a literal this long would be a heap allocation per run.
        const auto what = [] { return std::string("the arguments of a computation"); };
        ByteReader arguments(invocation.arguments, LazyText(what));
        std::tuple<SlotOf<Args>...> slots;
        std::size_t object = 0;
        fill(slots, invocation, arguments, object, std::index_sequence_for<Args...>{});
        arguments.expect_end();
        return call(slots, std::index_sequence_for<Args...>{});
    }

    template <std::size_t... I>
    static void fill(std::tuple<SlotOf<Args>...>& slots, const Invocation& invocation, ByteReader& arguments,
                     std::size_t& object, std::index_sequence<I...>) {
        (fill_one<Args>(std::get<I>(slots), invocation, arguments, object), ...); // in order
    }

    template <class A, class Slot>
    static void fill_one(Slot& slot, const Invocation& invocation, ByteReader& arguments, std::size_t& object) {
        if constexpr (PointerArgument<A>::value) {
            using T = typename PointerArgument<A>::value_type;
            slot = &static_cast<RemoteValue<T>&>(*invocation.objects[object++]).value;
        } else {
            slot = Codec<std::remove_cvref_t<A>>::decode(arguments);
        }
    }

    template <std::size_t... I>
    static std::unique_ptr<RemoteObject> call(std::tuple<SlotOf<Args>...>& slots, std::index_sequence<I...>) {
        Function function{};
        if constexpr (std::is_void_v<Result>) {
            std::invoke(function, parameter<Args>(std::get<I>(slots))...);
            return nullptr;
        } else {
            return std::make_unique<RemoteValue<Result>>(std::invoke(function, parameter<Args>(std::get<I>(slots))...));
        }
    }

    template <class A, class Slot>
    static ParameterOf<A> parameter(Slot& slot) {
        return *slot;
    }
};

/// Runs `computation` at worker `worker` on the objects `inputs` name (each
/// checked to hold its type), with the encoded by-value `arguments`, and
/// returns a Pointer<Result, L> to the result stored there, or nothing when
/// Result is void. The one path by which fedpp runs code at a worker:
/// Worker::run, the remote operators and every aggregation come through
/// here.
template <class Result, Location L>
auto execute_at(const std::shared_ptr<Seam>& seam, WorkerId worker, const Computation& computation,
                std::span<const ObjectRef> inputs, const Bytes& arguments) {
    const ObjectId result = seam->call(Request::execute(worker, computation, inputs, arguments)).object;
    if constexpr (!std::is_void_v<Result>) {
        return PointerAccess::make<Result, L>(seam, worker, result, "a computation with a result");
    }
}

/// The encoding of run's by-value arguments, in order (pointers carry none).
template <class... Args>
Bytes encode_arguments(const Args&... args) {
    Bytes bytes;
    ByteWriter out(bytes);
    const auto encode_one = [&out](const auto& arg) {
        using A = std::remove_cvref_t<decltype(arg)>;
        if constexpr (!PointerArgument<A>::value) {
            Codec<A>::encode(arg, out);
        }
    };
    (encode_one(args), ...);
    return bytes;
}

/// run_at once its result is known to have a Codec.
template <Location L, class Description, class... Args>
auto run_checked(const std::shared_ptr<Seam>& seam, WorkerId worker, const char* operation, const Args&... args) {
    using Result = typename Description::Result;
    std::array<ObjectRef, (std::size_t{PointerArgument<Args>::value} + ... + 0)> inputs{};
    std::size_t next = 0;
    const auto add_input = [&](const auto& arg) {
        using A = std::remove_cvref_t<decltype(arg)>;
        if constexpr (PointerArgument<A>::value) {
            PointerAccess::require_at(arg, seam, worker, operation);
            inputs[next++] = ObjectRef{arg.id(), &value_type<typename PointerArgument<A>::value_type>()};
        }
    };
    (add_input(args), ...);
    const Bytes arguments = encode_arguments(args...);
    return execute_at<Result, L>(seam, worker, computation_of<Description>(), inputs, arguments);
}

/// Runs F (stateless, or a named computation) at worker `worker` with run's
/// arguments: every pointer must be live and at that worker.
template <Location L, class F, class... Args>
auto run_at(const std::shared_ptr<Seam>& seam, WorkerId worker, const char* operation, const Args&... args) {
    using Description = RunComputation<F, ParameterKind<Args>...>;
    using Result = typename Description::Result;
    static_assert(std::is_void_v<Result> || Serializable<Result>,
                  "fedpp: the result of a function run at a worker stays there, so its type needs a "
                  "fedpp::Codec specialisation (or return void)");
    if constexpr (std::is_void_v<Result> || Serializable<Result>) { // else the message above is the only error
        return run_checked<L, Description>(seam, worker, operation, args...);
    }
}

} // namespace fedpp::detail
