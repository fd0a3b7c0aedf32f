// fedpp: what Worker::run accepts: functions that capture nothing, and
// named computations.
//
//     auto loss = bob.run([](nn::Linear<>& m, Tensor<>& x, Tensor<>& y, float lr) { ... }, model, x, y, 0.1f);
//
// A computation runs where the data is. It gets the values its pointers
// refer to, and copies of its other arguments, which travel as bytes; it
// can capture nothing of the program that asks for it (a lambda with an
// empty []), so it cannot write a data owner's values into the model
// owner's memory, and it means the same thing when the worker is another
// process. To run in another process it also needs a name:
//
//     constexpr auto local_step = fedpp::computation<"tutorial.local_step">(
//         [](nn::Linear<>& m, Tensor<>& x, Tensor<>& y, float lr) { ... });
//
// Every named computation of a program is registered before main() runs,
// so a worker process of that program can find it by name (and runs
// nothing else).
#pragma once

#include "fedpp/base/fixed_string.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <type_traits>

namespace fedpp {

/// A callable that carries no state: a lambda that captures nothing (or any
/// empty, default-constructible, trivially copyable function object). Its
/// code can run anywhere; no data of the caller's comes along.
template <class F>
concept Stateless = std::is_class_v<F> && std::is_empty_v<F> && std::is_default_constructible_v<F> &&
                    std::is_trivially_copyable_v<F>;

namespace detail {
/// True unless `text` is empty or only spaces: a name or reason that says
/// something.
template <FixedString Text>
constexpr bool says_something() {
    const std::string_view view = Text.view();
    return std::any_of(view.begin(), view.end(), [](char c) { return c != ' ' && c != '\t' && c != '\n'; });
}
} // namespace detail

/// A stateless function with a name, by which a worker in another process
/// of the same program finds it. Make one with fedpp::computation<"name">.
template <detail::FixedString Name, Stateless F>
struct NamedComputation {
    static_assert(detail::says_something<Name>(), "fedpp::computation<\"name\">: give the computation a name");
    static constexpr std::string_view name = Name.view();
    using function_type = F;
};

template <class T>
struct is_named_computation : std::false_type {};
template <detail::FixedString Name, class F>
struct is_named_computation<NamedComputation<Name, F>> : std::true_type {};

/// `function` (a lambda that captures nothing), named `Name` for workers in
/// other processes: constexpr auto step = fedpp::computation<"my.step">([](...) { ... });
template <detail::FixedString Name, class F>
    requires Stateless<std::remove_cvref_t<F>>
constexpr NamedComputation<Name, std::remove_cvref_t<F>> computation(F&&) noexcept {
    return {};
}

/// What Worker::run accepts: a stateless callable or a named computation.
template <class F>
concept Runnable = Stateless<std::remove_cvref_t<F>> || is_named_computation<std::remove_cvref_t<F>>::value;

namespace detail {
/// The function a Runnable stands for, and its name (empty: unnamed, which
/// runs only in the caller's process). A stateless type may name itself
/// with a static computation_name().
template <class F>
struct FunctionOf {
    using type = F;
    static std::string name() {
        if constexpr (requires { F::computation_name(); }) {
            return F::computation_name();
        } else {
            return {};
        }
    }
};
template <FixedString Name, class F>
struct FunctionOf<NamedComputation<Name, F>> {
    using type = F;
    static std::string name() { return std::string(Name.view()); }
};
} // namespace detail

} // namespace fedpp
