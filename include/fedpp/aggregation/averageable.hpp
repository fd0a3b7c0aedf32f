// fedpp: what can be aggregated (models and tensors), seen as lists of
// parameter tensors.
#pragma once

#include "fedpp/nn/module.hpp"
#include "fedpp/tensor/ops/record.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace fedpp {

namespace nn {
template <class T>
class Linear;
template <class T>
class Conv2d;
template <class T>
class Sequential;
} // namespace nn

template <class M>
struct is_tensor : std::false_type {};
template <class T>
struct is_tensor<Tensor<T>> : std::true_type {};

/// What fedavg can average: models (nn::Model) and plain tensors.
template <class M>
concept Averageable = nn::Model<M> || is_tensor<M>::value;

namespace detail {

template <class T>
std::vector<Tensor<T>> parameters_of(const Tensor<T>& tensor) {
    return {tensor};
}
template <nn::Model M>
std::vector<Tensor<typename M::scalar_type>> parameters_of(const M& model) {
    return model.parameters();
}

/// The scalar type of an Averageable.
template <Averageable M>
using scalar_of = typename decltype(parameters_of(std::declval<const M&>()))::value_type::scalar_type;

/// fedpp's own models, whose for_each_parameter visits every one of
/// parameters(): holds_parameters_alone trusts it for them alone (a user's
/// model that skipped a tensor there would let a shared one be read in place).
template <class M>
inline constexpr bool visits_every_parameter = false;
template <class T>
inline constexpr bool visits_every_parameter<nn::Linear<T>> = true;
template <class T>
inline constexpr bool visits_every_parameter<nn::Conv2d<T>> = true;
template <class T>
inline constexpr bool visits_every_parameter<nn::Sequential<T>> = true;

/// Whether `tensor` (a model: its parameters) alone holds its memory: no
/// other tensor, model or graph shares it, so nothing else can change it
/// while it is read.
template <class T>
bool holds_parameters_alone(const Tensor<T>& tensor) noexcept {
    return TensorAccess::node(tensor).use_count() == 1;
}
template <nn::Model M>
bool holds_parameters_alone(const M& model) {
    if constexpr (visits_every_parameter<M>) {
        bool alone = true;
        model.for_each_parameter([&](const auto& p) { alone = alone && holds_parameters_alone(p); });
        return alone;
    } else {
        const auto params = model.parameters(); // a second handle on each
        return std::all_of(params.begin(), params.end(),
                           [](const auto& p) { return TensorAccess::node(p).use_count() == 2; });
    }
}

template <class T>
Tensor<T> independent_copy(const Tensor<T>& tensor) {
    return Tensor<T>(tensor.value(), tensor.requires_grad());
}
template <nn::Model M>
M independent_copy(const M& model) {
    return model.copy();
}

} // namespace detail

} // namespace fedpp
