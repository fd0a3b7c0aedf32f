// fedpp: the Tensor class, without its operations (include
// fedpp/tensor/tensor.hpp, which adds them).
//
// Tensor: a dense matrix with reverse-mode automatic differentiation.
//
// Tensor<T> (T = float by default, or double) is a handle: copying a Tensor
// copies the handle, not the values, exactly as assigning a torch.Tensor in
// Python does. Use detach() for an independent copy of the values.
//
// Tensors are matrices (rank <= 2): a batch is rows x features, a bias is a
// 1 x n row, a scalar such as a loss is 1 x 1. The operations live in
// fedpp/tensor/ops/.
#pragma once

#include "fedpp/autograd/backward.hpp"
#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/autograd/node.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/matrix.hpp"

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fedpp {

namespace detail {
struct TensorAccess;
} // namespace detail

template <class T = float>
class Tensor {
    static_assert(std::is_floating_point_v<T>, "fedpp::Tensor<T>: T must be float or double");

public:
    using scalar_type = T;
    using matrix_type = Matrix<T>;

    /// An empty (0 x 0) tensor.
    Tensor() : node_(detail::make_node<detail::Node<T>>()) {}

    /// A leaf holding `value`.
    explicit Tensor(matrix_type value, bool requires_grad = false)
        : node_(detail::make_node<detail::Node<T>>(std::move(value), requires_grad)) {}

    /// A leaf from nested rows: Tensor<>{{0, 0}, {0, 1}} is 2 x 2. Throws
    /// ShapeError for ragged rows.
    Tensor(std::initializer_list<std::initializer_list<T>> rows, bool requires_grad = false)
        : Tensor(from_rows(rows), requires_grad) {}

    static Tensor zeros(Index rows, Index cols, bool requires_grad = false) {
        return Tensor(matrix_type::Zero(checked(rows), checked(cols)), requires_grad);
    }
    static Tensor ones(Index rows, Index cols, bool requires_grad = false) {
        return Tensor(matrix_type::Ones(checked(rows), checked(cols)), requires_grad);
    }
    static Tensor full(Index rows, Index cols, T fill, bool requires_grad = false) {
        return Tensor(matrix_type::Constant(checked(rows), checked(cols), fill), requires_grad);
    }
    static Tensor scalar(T value, bool requires_grad = false) { return full(1, 1, value, requires_grad); }

    [[nodiscard]] Index rows() const { return node().value.rows(); }
    [[nodiscard]] Index cols() const { return node().value.cols(); }
    [[nodiscard]] Index size() const { return node().value.size(); }
    /// "rows x cols", for messages.
    [[nodiscard]] std::string shape_string() const {
        return std::to_string(rows()) + "x" + std::to_string(cols());
    }

    /// The values. Writing through value() bypasses autograd (like
    /// `tensor.data` in PyTorch): do it only to tensors no live graph uses,
    /// such as parameters between optimiser steps.
    [[nodiscard]] const matrix_type& value() const { return node().value; }
    [[nodiscard]] matrix_type& value() { return node().value; }

    /// The single value of a 1 x 1 tensor; ShapeError otherwise.
    [[nodiscard]] T item() const {
        if (size() != 1) {
            throw ShapeError("Tensor::item(): the tensor is " + shape_string() + ", not 1x1");
        }
        return node().value(0, 0);
    }

    [[nodiscard]] bool requires_grad() const { return node().requires_grad; }

    /// Marks a leaf as a parameter whose gradient backward() computes.
    Tensor& set_requires_grad(bool enabled = true) {
        if (!is_leaf()) {
            throw AutogradError("set_requires_grad(): only leaf tensors can change whether they require a "
                                "gradient; this tensor is the result of '" +
                                std::string(op_name()) + "' (use detach() first)");
        }
        node().requires_grad = enabled;
        return *this;
    }

    [[nodiscard]] bool is_leaf() const { return node().is_leaf(); }
    /// The operation that produced this tensor, or "leaf".
    [[nodiscard]] std::string_view op_name() const { return node().op_name(); }

    [[nodiscard]] bool has_grad() const { return node().has_grad; }

    /// The accumulated gradient. AutogradError when none was computed yet.
    [[nodiscard]] const matrix_type& grad() const {
        if (!node().has_grad) {
            throw AutogradError("Tensor::grad(): no gradient has been computed for this " + shape_string() +
                                " tensor (call backward() on a result that depends on it, and check "
                                "that it requires a gradient)");
        }
        return node().grad;
    }

    /// Sets the accumulated gradient to zero, keeping its memory.
    void zero_grad() {
        if (node().has_grad) {
            node().grad.setZero();
        }
    }

    /// Back-propagates from this 1 x 1 tensor (d self / d self = 1).
    void backward() const {
        if (size() != 1) {
            throw AutogradError("backward(): the tensor is " + shape_string() +
                                "; only a 1x1 result can be back-propagated without a seed gradient "
                                "(reduce it with sum() or mean(), or pass a seed)");
        }
        require_graph();
        detail::run_backward(node(), matrix_type(matrix_type::Ones(1, 1))); // becomes the root's gradient, uncopied
    }

    /// Back-propagates `seed`, the gradient of some scalar with respect to
    /// this tensor (same shape as this tensor).
    void backward(const matrix_type& seed) const {
        require_graph();
        if (seed.rows() != rows() || seed.cols() != cols()) {
            throw ShapeError("backward(seed): the seed is " + std::to_string(seed.rows()) + "x" +
                             std::to_string(seed.cols()) + " but the tensor is " + shape_string());
        }
        detail::run_backward(node(), seed);
    }

    /// A new leaf with a copy of the values, outside any graph.
    [[nodiscard]] Tensor detach() const { return Tensor(node().value, false); }

    /// True when both handles refer to the same tensor.
    [[nodiscard]] bool same_as(const Tensor& other) const noexcept { return node_ == other.node_; }

    // Operations, defined in fedpp/tensor/ops/. Each returns a new
    // tensor and records one graph node when gradients are being recorded.
    [[nodiscard]] Tensor matmul(const Tensor& rhs) const;
    [[nodiscard]] Tensor pow(T exponent) const;
    [[nodiscard]] Tensor square() const;
    [[nodiscard]] Tensor sum() const;
    [[nodiscard]] Tensor mean() const;
    [[nodiscard]] Tensor relu() const;
    [[nodiscard]] Tensor sigmoid() const;
    [[nodiscard]] Tensor tanh() const;
    [[nodiscard]] Tensor log_softmax() const;
    /// Rows [begin, end) (Python's t[begin:end]).
    [[nodiscard]] Tensor slice_rows(Index begin, Index end) const;

private:
    friend struct detail::TensorAccess;

    /// Wraps an existing node (the operations' results).
    explicit Tensor(detail::NodePtr<T> node) noexcept : node_(std::move(node)) {}

    void require_graph() const {
        if (!node().requires_grad) {
            throw AutogradError("backward(): this tensor does not require a gradient, so no graph was "
                                "recorded for it (did you compute it under a NoGradGuard, or from "
                                "tensors none of which require a gradient?)");
        }
    }

    static Index checked(Index extent) {
        if (extent < 0) {
            throw ShapeError("Tensor: negative extent " + std::to_string(extent));
        }
        return extent;
    }

    static matrix_type from_rows(std::initializer_list<std::initializer_list<T>> rows) {
        const auto row_count = static_cast<Index>(rows.size());
        const auto col_count = row_count == 0 ? Index{0} : static_cast<Index>(rows.begin()->size());
        matrix_type value(row_count, col_count);
        Index r = 0;
        for (const auto& row : rows) {
            if (static_cast<Index>(row.size()) != col_count) {
                throw ShapeError("Tensor: row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                                 " values, row 0 has " + std::to_string(col_count));
            }
            Index c = 0;
            for (T v : row) {
                value(r, c++) = v;
            }
            ++r;
        }
        return value;
    }

    /// The node; ArgumentError for a tensor moved from (std::move), whose
    /// handle is empty: a fedpp error, not a null dereference.
    [[nodiscard]] detail::Node<T>& node() const {
        if (!node_) [[unlikely]] {
            throw_moved_from();
        }
        return *node_;
    }
    [[noreturn]] static void throw_moved_from() {
        throw ArgumentError("fedpp::Tensor: this tensor was moved from (std::move); assign it a value before using "
                            "it");
    }

    detail::NodePtr<T> node_;
};

} // namespace fedpp
