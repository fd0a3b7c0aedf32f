// fedpp: matrix products: matmul, and linear (x W^T + b, the building block of
// nn::Linear), each one node with its backward kernel.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/matrix_product.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <string>

namespace fedpp {

namespace detail {

template <class T>
struct MatmulNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "matmul"; }
    void backward() override {
        Node<T>& a = *this->inputs[0];
        Node<T>& b = *this->inputs[1];
        if (a.requires_grad) {
            a.accumulate_product(this->grad, b.value.transpose());
        }
        if (b.requires_grad) {
            b.accumulate_product(a.value.transpose(), this->grad);
        }
    }
};

template <class T>
struct LinearNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "linear"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        Node<T>& weight = *this->inputs[1];
        if (x.requires_grad) {
            x.accumulate_product(this->grad, weight.value);
        }
        if (weight.requires_grad) {
            weight.accumulate_product(this->grad.transpose(), x.value);
        }
        if (this->inputs[2] && this->inputs[2]->requires_grad) {
            this->inputs[2]->accumulate(this->grad.colwise().sum());
        }
    }
};

} // namespace detail

/// Matrix product (n x k)(k x m).
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
    if (a.cols() != b.rows()) {
        throw ShapeError("matmul: inner sizes differ: " + a.shape_string() + " @ " + b.shape_string());
    }
    Matrix<T> out(a.rows(), b.cols());
    detail::multiply_into(out, a.value(), b.value(), false);
    return detail::record<detail::MatmulNode<T>>(std::move(out), {&a, &b});
}

/// x W^T + b: x is batch x in, weight is out x in, bias is 1 x out. One node
/// (PyTorch's addmm); the building block of nn::Linear.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias) {
    if (x.cols() != weight.cols()) {
        throw ShapeError("linear: input is " + x.shape_string() + " but the weight (out x in) is " +
                         weight.shape_string() + "; the input needs " + std::to_string(weight.cols()) +
                         " columns");
    }
    if (bias.rows() != 1 || bias.cols() != weight.rows()) {
        throw ShapeError("linear: bias is " + bias.shape_string() + ", expected 1x" +
                         std::to_string(weight.rows()));
    }
    Matrix<T> out(x.rows(), weight.rows());
    detail::multiply_into(out, x.value(), weight.value().transpose(), false);
    out.rowwise() += bias.value().row(0);
    return detail::record<detail::LinearNode<T>>(std::move(out), {&x, &weight, &bias});
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::MatmulNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::LinearNode);
#if defined(FEDPP_COMPILED)
extern template fedpp::Tensor<float> fedpp::matmul(const fedpp::Tensor<float>&, const fedpp::Tensor<float>&);
extern template fedpp::Tensor<double> fedpp::matmul(const fedpp::Tensor<double>&, const fedpp::Tensor<double>&);
extern template fedpp::Tensor<float> fedpp::linear(const fedpp::Tensor<float>&, const fedpp::Tensor<float>&,
                                                   const fedpp::Tensor<float>&);
extern template fedpp::Tensor<double> fedpp::linear(const fedpp::Tensor<double>&, const fedpp::Tensor<double>&,
                                                    const fedpp::Tensor<double>&);
#endif
