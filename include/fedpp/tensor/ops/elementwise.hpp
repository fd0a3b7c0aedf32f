// fedpp: elementwise operations: add, sub, mul (with broadcasting), scale,
// add_scalar, square and pow.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/tensor/ops/broadcast.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <type_traits>
#include <utility>

namespace fedpp {

namespace detail {

template <class T>
struct AddNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "add"; }
    void backward() override {
        // The second input first: the first may then take the gradient over.
        if (this->inputs[1]->requires_grad) {
            accumulate_unbroadcast(*this->inputs[1], this->grad);
        }
        if (this->inputs[0]->requires_grad) {
            accumulate_unbroadcast(*this->inputs[0], std::move(this->grad));
        }
    }
};

template <class T>
struct SubNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "sub"; }
    void backward() override {
        // The second input first: the first may then take the gradient over.
        if (this->inputs[1]->requires_grad) {
            accumulate_unbroadcast(*this->inputs[1], -this->grad);
        }
        if (this->inputs[0]->requires_grad) {
            accumulate_unbroadcast(*this->inputs[0], std::move(this->grad));
        }
    }
};

template <class T>
struct MulNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "mul"; }
    void backward() override {
        Node<T>& a = *this->inputs[0];
        Node<T>& b = *this->inputs[1];
        const Index rows = this->grad.rows();
        const Index cols = this->grad.cols();
        if (a.requires_grad) {
            accumulate_unbroadcast(a, (this->grad.array() * expand(b.value, rows, cols).array()).matrix());
        }
        if (b.requires_grad) {
            accumulate_unbroadcast(b, (this->grad.array() * expand(a.value, rows, cols).array()).matrix());
        }
    }
};

template <class T>
struct ScaleNode final : Node<T> {
    explicit ScaleNode(T s) : factor(s) {}
    T factor;
    std::string_view op_name() const noexcept override { return "scale"; }
    void backward() override {
        this->grad *= factor; // in place, then handed over (see Node::backward)
        this->inputs[0]->accumulate(std::move(this->grad));
    }
};

template <class T>
struct AddScalarNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "add_scalar"; }
    void backward() override { this->inputs[0]->accumulate(std::move(this->grad)); }
};

template <class T>
struct SquareNode final : Node<T> {
    std::string_view op_name() const noexcept override { return "square"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        this->grad.array() = this->grad.array() * T(2) * x.value.array(); // in place, then handed over
        x.accumulate(std::move(this->grad));
    }
};

template <class T>
struct PowNode final : Node<T> {
    explicit PowNode(T p) : exponent(p) {}
    T exponent;
    std::string_view op_name() const noexcept override { return "pow"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        x.accumulate((this->grad.array() * exponent * x.value.array().pow(exponent - T(1))).matrix());
    }
};

} // namespace detail

/// Elementwise a + b with broadcasting.
template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::broadcast_binary<detail::AddNode<T>>("add", a, b, [](const auto& x, const auto& y) { return x + y; });
}

/// Elementwise a - b with broadcasting.
template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::broadcast_binary<detail::SubNode<T>>("sub", a, b, [](const auto& x, const auto& y) { return x - y; });
}

/// Elementwise (Hadamard) a * b with broadcasting. For the matrix product use
/// matmul().
template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
    return detail::broadcast_binary<detail::MulNode<T>>("mul", a, b, [](const auto& x, const auto& y) { return x * y; });
}

/// s * x for a constant s.
template <class T>
Tensor<T> scale(const Tensor<T>& x, std::type_identity_t<T> s) {
    return detail::record<detail::ScaleNode<T>>(Matrix<T>(s * x.value()), {&x}, s);
}

/// x + s for a constant s.
template <class T>
Tensor<T> add_scalar(const Tensor<T>& x, std::type_identity_t<T> s) {
    return detail::record<detail::AddScalarNode<T>>(Matrix<T>(x.value().array() + s), {&x});
}

template <class T>
Tensor<T> square(const Tensor<T>& x) {
    return detail::record<detail::SquareNode<T>>(Matrix<T>(x.value().array().square()), {&x});
}

/// x^p elementwise. x.pow(2) records the same node as square(x).
template <class T>
Tensor<T> pow(const Tensor<T>& x, std::type_identity_t<T> exponent) {
    if (exponent == T(2)) {
        return square(x);
    }
    return detail::record<detail::PowNode<T>>(Matrix<T>(x.value().array().pow(exponent)), {&x},
                                              exponent);
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::AddNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::SubNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::MulNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::ScaleNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::AddScalarNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::SquareNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::PowNode);
#define FEDPP_ELEMENTWISE_FUNCTIONS(X, T)                                                                       \
    X(fedpp::Tensor<T> fedpp::add<T>(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&))                        \
    X(fedpp::Tensor<T> fedpp::sub<T>(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&))                        \
    X(fedpp::Tensor<T> fedpp::mul<T>(const fedpp::Tensor<T>&, const fedpp::Tensor<T>&))                        \
    X(fedpp::Tensor<T> fedpp::scale<T>(const fedpp::Tensor<T>&, T))                                            \
    X(fedpp::Tensor<T> fedpp::add_scalar<T>(const fedpp::Tensor<T>&, T))                                       \
    X(fedpp::Tensor<T> fedpp::square<T>(const fedpp::Tensor<T>&))                                              \
    X(fedpp::Tensor<T> fedpp::pow<T>(const fedpp::Tensor<T>&, T))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_ELEMENTWISE_FUNCTIONS);
