// fedpp: reductions to a 1 x 1 tensor: sum and mean.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/ops/record.hpp"

namespace fedpp {

namespace detail {

template <class T>
struct SumNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "sum"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        x.accumulate(Matrix<T>::Constant(x.value.rows(), x.value.cols(), this->grad(0, 0)));
    }
};

template <class T>
struct MeanNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "mean"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        const T share = this->grad(0, 0) / static_cast<T>(x.value.size());
        x.accumulate(Matrix<T>::Constant(x.value.rows(), x.value.cols(), share));
    }
};

} // namespace detail

/// Sum of all elements, as a 1 x 1 tensor.
template <class T>
Tensor<T> sum(const Tensor<T>& x) {
    return detail::record<detail::SumNode<T>>(detail::scalar_matrix(x.value().sum()), {&x});
}

/// Mean of all elements, as a 1 x 1 tensor. ShapeError for an empty tensor.
template <class T>
Tensor<T> mean(const Tensor<T>& x) {
    if (x.size() == 0) {
        throw ShapeError("mean: the tensor is empty");
    }
    return detail::record<detail::MeanNode<T>>(detail::scalar_matrix(x.value().mean()), {&x});
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::SumNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::MeanNode);
#define FEDPP_REDUCTION_FUNCTIONS(X, T)                                                                         \
    X(fedpp::Tensor<T> fedpp::sum<T>(const fedpp::Tensor<T>&))                                                 \
    X(fedpp::Tensor<T> fedpp::mean<T>(const fedpp::Tensor<T>&))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_REDUCTION_FUNCTIONS);
