// fedpp: recording one graph node per operation (used by every operation).
#pragma once

#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/autograd/node.hpp"
#include "fedpp/base/matrix.hpp"
#include "fedpp/tensor/basic_tensor.hpp"

#include <initializer_list>
#include <string>
#include <utility>

namespace fedpp {

namespace detail {

/// How the operations reach a tensor's graph node, which users never see.
struct TensorAccess {
    template <class T>
    static const NodePtr<T>& node(const Tensor<T>& tensor) noexcept {
        return tensor.node_;
    }
    template <class T>
    static Tensor<T> wrap(NodePtr<T> node) noexcept {
        return Tensor<T>(std::move(node));
    }
};

/// Returns a tensor holding `value`. If gradients are being recorded and one
/// of the inputs requires a gradient, the tensor is an `Op` node linked to
/// the inputs; otherwise it is a plain leaf and no graph is kept.
template <class Op, class T, class... OpArgs>
Tensor<T> record(Matrix<T>&& value, std::initializer_list<const Tensor<T>*> inputs, OpArgs&&... op_args) {
    bool needs_grad = false;
    if (is_grad_enabled()) {
        for (const Tensor<T>* input : inputs) {
            needs_grad = needs_grad || input->requires_grad();
        }
    }
    if (!needs_grad) {
        return Tensor<T>(std::move(value));
    }
    auto node = make_node<Op>(std::forward<OpArgs>(op_args)...);
    node->value = std::move(value);
    node->requires_grad = true;
    std::size_t slot = 0;
    for (const Tensor<T>* input : inputs) {
        node->inputs[slot++] = TensorAccess::node(*input);
    }
    return TensorAccess::wrap(NodePtr<T>(std::move(node)));
}

/// A 1 x 1 matrix holding `value` (the result of a reduction).
template <class T>
Matrix<T> scalar_matrix(T value) {
    return Matrix<T>::Constant(1, 1, value);
}

inline std::string shape_of(Index rows, Index cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

} // namespace detail

} // namespace fedpp
