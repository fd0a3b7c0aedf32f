// fedpp: broadcasting of elementwise operations (a 1 x n bias over a batch) and the
// reduction of their gradients back to each operand's shape.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <string>
#include <utility>

namespace fedpp {

namespace detail {

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

/// `m` repeated to rows x cols: each of m's extents equals the target's or
/// is 1 (broadcast_shape). Compared, not divided: an extent may be 0.
template <class T>
auto expand(const Matrix<T>& m, Index rows, Index cols) {
    return m.replicate(m.rows() == rows ? 1 : rows, m.cols() == cols ? 1 : cols);
}

/// node.grad += gradient, summed over the extents along which node's value
/// was broadcast to produce `gradient`.
template <class T, class Expression>
void accumulate_unbroadcast(Node<T>& node, const Expression& gradient) {
    const Index rows = node.value.rows();
    const Index cols = node.value.cols();
    if (gradient.rows() == rows && gradient.cols() == cols) {
        node.accumulate(gradient);
    } else if (gradient.size() == 0) {
        // Broadcast against an empty extent: a sum of nothing. (Eigen's
        // partial reductions would offset the empty gradient's null data
        // pointer, undefined behaviour that clang's UBSan reports.)
        node.accumulate(Matrix<T>::Zero(rows, cols));
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
    return record<Op>(std::move(out), {&a, &b});
}

} // namespace detail

} // namespace fedpp
