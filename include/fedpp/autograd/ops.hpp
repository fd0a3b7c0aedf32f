// fedpp: differentiable operations on Tensor.
//
// Each operation computes its result with Eigen and, when gradients are being
// recorded and an input requires one, returns a tensor whose node remembers
// the inputs and implements the backward step for the whole matrix:
//
//   matmul       C = A B              dA += dC B^T,    dB += A^T dC
//   linear       Y = X W^T + b        dX += dY W,      dW += dY^T X,  db += colsum dY
//   add/sub/mul  elementwise, either operand may be broadcast along rows
//                and/or columns (a 1 x n bias over a batch); the gradient
//                of a broadcast operand is summed back to its shape
//   scale        Y = s X              dX += s dY
//   square/pow   Y = X^p              dX += p X^(p-1) dY
//   sum/mean     y = sum X (/ n)      dX += dy (/ n)
//   relu, sigmoid, tanh, log_softmax (row-wise), slice_rows
//
// This header is included by fedpp/tensor.hpp; include that one.
#pragma once

#include "fedpp/tensor.hpp"

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

namespace fedpp {

namespace detail {

/// Returns a tensor holding `value`. If gradients are being recorded and one
/// of the inputs requires a gradient, the tensor is an `Op` node linked to
/// the inputs; otherwise it is a plain leaf and no graph is kept.
template <class Op, class T, class... OpArgs>
Tensor<T> record(Matrix<T>&& value, std::initializer_list<const NodePtr<T>*> inputs, OpArgs&&... op_args) {
    bool needs_grad = false;
    if (is_grad_enabled()) {
        for (const NodePtr<T>* input : inputs) {
            needs_grad = needs_grad || (*input)->requires_grad;
        }
    }
    if (!needs_grad) {
        return Tensor<T>(std::move(value));
    }
    auto node = make_node<Op>(std::forward<OpArgs>(op_args)...);
    node->value = std::move(value);
    node->requires_grad = true;
    std::size_t slot = 0;
    for (const NodePtr<T>* input : inputs) {
        node->inputs[slot++] = *input;
    }
    return Tensor<T>(NodePtr<T>(std::move(node)));
}

/// A 1 x 1 matrix holding `value` (the result of a reduction).
template <class T>
Matrix<T> scalar_matrix(T value) {
    return Matrix<T>::Constant(1, 1, value);
}

inline std::string shape_of(Index rows, Index cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

/// The shape of a broadcasting elementwise operation: each extent must match
/// or be 1 in one operand.
inline std::pair<Index, Index> broadcast_shape(const char* op, Index a_rows, Index a_cols, Index b_rows,
                                               Index b_cols) {
    auto extent = [&](Index a, Index b) {
        if (a == b || b == 1) {
            return a;
        }
        if (a == 1) {
            return b;
        }
        throw ShapeError(std::string(op) + ": shapes " + shape_of(a_rows, a_cols) + " and " +
                         shape_of(b_rows, b_cols) +
                         " do not broadcast (each extent must be equal, or 1 in one operand)");
    };
    return {extent(a_rows, b_rows), extent(a_cols, b_cols)};
}

/// `m` repeated to rows x cols (m's extents divide them: they are 1 or equal).
template <class T>
auto expand(const Matrix<T>& m, Index rows, Index cols) {
    return m.replicate(rows / m.rows(), cols / m.cols());
}

/// node.grad += gradient, summed over the extents along which node's value
/// was broadcast to produce `gradient`.
template <class T, class Expression>
void accumulate_unbroadcast(Node<T>& node, const Expression& gradient) {
    const Index rows = node.value.rows();
    const Index cols = node.value.cols();
    if (gradient.rows() == rows && gradient.cols() == cols) {
        node.accumulate(gradient);
    } else if (rows == 1 && cols == 1) {
        node.accumulate(Matrix<T>::Constant(1, 1, gradient.sum()));
    } else if (rows == 1) {
        node.accumulate(gradient.colwise().sum());
    } else {
        node.accumulate(gradient.rowwise().sum());
    }
}

/// The same, for a gradient the caller no longer needs: when no reduction
/// is needed, `node` takes its storage over instead of copying it.
template <class T>
void accumulate_unbroadcast(Node<T>& node, Matrix<T>&& gradient) {
    if (gradient.rows() == node.value.rows() && gradient.cols() == node.value.cols()) {
        node.accumulate(std::move(gradient));
    } else {
        accumulate_unbroadcast(node, std::as_const(gradient));
    }
}

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
struct ShiftNode final : Node<T> {
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

template <class T>
struct SliceRowsNode final : Node<T> {
    explicit SliceRowsNode(Index first) : begin(first) {}
    Index begin;
    std::string_view op_name() const noexcept override { return "slice_rows"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        if (!x.has_grad) {
            x.grad.setZero(x.value.rows(), x.value.cols());
            x.has_grad = true;
        }
        x.grad.middleRows(begin, this->grad.rows()) += this->grad;
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

template <class T>
void require_same_shape(const char* op, const Tensor<T>& a, const Tensor<T>& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
        throw ShapeError(std::string(op) + ": shapes " + a.shape_string() + " and " + b.shape_string() +
                         " differ");
    }
}

template <class Op, class T, class Compute>
Tensor<T> broadcast_binary(const char* op, const Tensor<T>& a, const Tensor<T>& b, Compute compute) {
    const auto [rows, cols] = broadcast_shape(op, a.rows(), a.cols(), b.rows(), b.cols());
    Matrix<T> out;
    if (a.rows() == rows && a.cols() == cols && b.rows() == rows && b.cols() == cols) {
        out = compute(a.value().array(), b.value().array()).matrix();
    } else {
        out = compute(expand(a.value(), rows, cols).array(), expand(b.value(), rows, cols).array()).matrix();
    }
    return record<Op>(std::move(out), {&a.node(), &b.node()});
}

} // namespace detail

/// Matrix product (n x k)(k x m).
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
    if (a.cols() != b.rows()) {
        throw ShapeError("matmul: inner sizes differ: " + a.shape_string() + " @ " + b.shape_string());
    }
    detail::Matrix<T> out(a.rows(), b.cols());
    out.noalias() = a.value() * b.value();
    return detail::record<detail::MatmulNode<T>>(std::move(out), {&a.node(), &b.node()});
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
    detail::Matrix<T> out(x.rows(), weight.rows());
    out.noalias() = x.value() * weight.value().transpose();
    out.rowwise() += bias.value().row(0);
    return detail::record<detail::LinearNode<T>>(std::move(out), {&x.node(), &weight.node(), &bias.node()});
}

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
    return detail::record<detail::ScaleNode<T>>(detail::Matrix<T>(s * x.value()), {&x.node()}, s);
}

/// x + s for a constant s.
template <class T>
Tensor<T> add_scalar(const Tensor<T>& x, std::type_identity_t<T> s) {
    return detail::record<detail::ShiftNode<T>>(detail::Matrix<T>(x.value().array() + s), {&x.node()});
}

template <class T>
Tensor<T> square(const Tensor<T>& x) {
    return detail::record<detail::SquareNode<T>>(detail::Matrix<T>(x.value().array().square()), {&x.node()});
}

/// x^p elementwise. x.pow(2) records the same node as square(x).
template <class T>
Tensor<T> pow(const Tensor<T>& x, std::type_identity_t<T> exponent) {
    if (exponent == T(2)) {
        return square(x);
    }
    return detail::record<detail::PowNode<T>>(detail::Matrix<T>(x.value().array().pow(exponent)), {&x.node()},
                                              exponent);
}

/// Sum of all elements, as a 1 x 1 tensor.
template <class T>
Tensor<T> sum(const Tensor<T>& x) {
    return detail::record<detail::SumNode<T>>(detail::scalar_matrix(x.value().sum()), {&x.node()});
}

/// Mean of all elements, as a 1 x 1 tensor. ShapeError for an empty tensor.
template <class T>
Tensor<T> mean(const Tensor<T>& x) {
    if (x.size() == 0) {
        throw ShapeError("mean: the tensor is empty");
    }
    return detail::record<detail::MeanNode<T>>(detail::scalar_matrix(x.value().mean()), {&x.node()});
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    return detail::record<detail::ReluNode<T>>(detail::Matrix<T>(x.value().cwiseMax(T(0))), {&x.node()});
}

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    return detail::record<detail::SigmoidNode<T>>(
        detail::Matrix<T>((T(1) + (-x.value().array()).exp()).inverse()), {&x.node()});
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    return detail::record<detail::TanhNode<T>>(detail::Matrix<T>(x.value().array().tanh()), {&x.node()});
}

/// log(softmax(x)) over each row (the classes of one example).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x) {
    return detail::record<detail::LogSoftmaxNode<T>>(detail::log_softmax_rows(x.value()), {&x.node()});
}

/// Rows [begin, end) of x (Python's x[begin:end]).
template <class T>
Tensor<T> slice_rows(const Tensor<T>& x, Index begin, Index end) {
    if (begin < 0 || end < begin || end > x.rows()) {
        throw ShapeError("slice_rows: [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") is not a row range of a " + x.shape_string() + " tensor");
    }
    return detail::record<detail::SliceRowsNode<T>>(detail::Matrix<T>(x.value().middleRows(begin, end - begin)),
                                                     {&x.node()}, begin);
}

template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return add(a, b); }
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return sub(a, b); }
/// Elementwise, as in PyTorch; the matrix product is matmul().
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return mul(a, b); }
template <class T>
Tensor<T> operator*(const Tensor<T>& x, std::type_identity_t<T> s) { return scale(x, s); }
template <class T>
Tensor<T> operator*(std::type_identity_t<T> s, const Tensor<T>& x) { return scale(x, s); }
template <class T>
Tensor<T> operator/(const Tensor<T>& x, std::type_identity_t<T> s) { return scale(x, T(1) / s); }
template <class T>
Tensor<T> operator-(const Tensor<T>& x) { return scale(x, T(-1)); }
template <class T>
Tensor<T> operator+(const Tensor<T>& x, std::type_identity_t<T> s) { return add_scalar(x, s); }
template <class T>
Tensor<T> operator-(const Tensor<T>& x, std::type_identity_t<T> s) { return add_scalar(x, -s); }

template <class T>
Tensor<T> Tensor<T>::matmul(const Tensor& rhs) const { return fedpp::matmul(*this, rhs); }
template <class T>
Tensor<T> Tensor<T>::pow(T exponent) const { return fedpp::pow(*this, exponent); }
template <class T>
Tensor<T> Tensor<T>::square() const { return fedpp::square(*this); }
template <class T>
Tensor<T> Tensor<T>::sum() const { return fedpp::sum(*this); }
template <class T>
Tensor<T> Tensor<T>::mean() const { return fedpp::mean(*this); }
template <class T>
Tensor<T> Tensor<T>::relu() const { return fedpp::relu(*this); }
template <class T>
Tensor<T> Tensor<T>::sigmoid() const { return fedpp::sigmoid(*this); }
template <class T>
Tensor<T> Tensor<T>::tanh() const { return fedpp::tanh(*this); }
template <class T>
Tensor<T> Tensor<T>::log_softmax() const { return fedpp::log_softmax(*this); }
template <class T>
Tensor<T> Tensor<T>::slice_rows(Index begin, Index end) const { return fedpp::slice_rows(*this, begin, end); }

} // namespace fedpp
