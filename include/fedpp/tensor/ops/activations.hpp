// fedpp: activations: relu, sigmoid, tanh, and the row-wise log_softmax.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <cmath>

namespace fedpp {

namespace detail {

template <class T>
struct ReluNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "relu"; }
    void backward() override {
        this->grad = (this->value.array() > T(0)).select(this->grad, T(0)).matrix(); // in place, then handed over
        this->inputs[0]->accumulate(std::move(this->grad));
    }
};

template <class T>
struct SigmoidNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "sigmoid"; }
    void backward() override {
        const auto y = this->value.array();
        this->grad.array() = this->grad.array() * y * (T(1) - y); // in place, then handed over
        this->inputs[0]->accumulate(std::move(this->grad));
    }
};

template <class T>
struct TanhNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "tanh"; }
    void backward() override {
        const auto y = this->value.array();
        this->grad.array() = this->grad.array() * (T(1) - y.square()); // in place, then handed over
        this->inputs[0]->accumulate(std::move(this->grad));
    }
};

template <class T>
struct LogSoftmaxNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "log_softmax"; }
    void backward() override {
        // dx = dy - softmax(x) * rowsum(dy), softmax(x) = exp(y)
        const auto row_sums = this->grad.rowwise().sum();
        this->inputs[0]->accumulate(
            (this->grad.array() - this->value.array().exp().colwise() * row_sums.array()).matrix());
    }
};

/// Row-wise log-softmax, shifted by each row's maximum for stability.
template <class T>
Matrix<T> log_softmax_rows(const Matrix<T>& x) {
    Matrix<T> y = x.colwise() - x.rowwise().maxCoeff();
    const auto log_sum = y.array().exp().rowwise().sum().log().eval();
    y.array().colwise() -= log_sum;
    return y;
}

} // namespace detail

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    return detail::record<detail::ReluNode<T>>(Matrix<T>(x.value().cwiseMax(T(0))), {&x});
}

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    return detail::record<detail::SigmoidNode<T>>(
        Matrix<T>((T(1) + (-x.value().array()).exp()).inverse()), {&x});
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    return detail::record<detail::TanhNode<T>>(Matrix<T>(x.value().array().tanh()), {&x});
}

/// log(softmax(x)) over each row (the classes of one example).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x) {
    return detail::record<detail::LogSoftmaxNode<T>>(detail::log_softmax_rows(x.value()), {&x});
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::ReluNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::SigmoidNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::TanhNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::LogSoftmaxNode);
#define FEDPP_ACTIVATION_FUNCTIONS(X, T)                                                                        \
    X(fedpp::Tensor<T> fedpp::relu<T>(const fedpp::Tensor<T>&))                                                \
    X(fedpp::Tensor<T> fedpp::sigmoid<T>(const fedpp::Tensor<T>&))                                             \
    X(fedpp::Tensor<T> fedpp::tanh<T>(const fedpp::Tensor<T>&))                                                \
    X(fedpp::Tensor<T> fedpp::log_softmax<T>(const fedpp::Tensor<T>&))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_ACTIVATION_FUNCTIONS);
