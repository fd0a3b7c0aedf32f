// fedpp: what can be aggregated (models and tensors), seen as lists of
// parameter tensors.
#pragma once

#include "fedpp/nn/module.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <type_traits>
#include <vector>

namespace fedpp {

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
