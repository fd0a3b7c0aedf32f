// fedpp: parameter-free layers (nn::ReLU, nn::Sigmoid, nn::Tanh) for use in
// nn::Sequential.
#pragma once

#include "fedpp/tensor/tensor.hpp"

#include <string_view>

namespace fedpp::nn {

struct ReLU {
    static constexpr std::string_view name = "ReLU";
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const { return relu(x); }
};

struct Sigmoid {
    static constexpr std::string_view name = "Sigmoid";
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const { return sigmoid(x); }
};

struct Tanh {
    static constexpr std::string_view name = "Tanh";
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const { return tanh(x); }
};

} // namespace fedpp::nn
