// fedpp: loss functions, each one graph node with its own backward step.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace fedpp::nn {

/// How a loss reduces the per-element losses to one number.
enum class Reduction { sum, mean };

} // namespace fedpp::nn

namespace fedpp::detail {

template <class T>
struct MseNode final : Node<T> {
    explicit MseNode(T s) : scale(s) {}
    T scale; // 1 for sum, 1/n for mean
    std::string_view op_name() const noexcept override { return "mse_loss"; }
    void backward() override {
        Node<T>& pred = *this->inputs[0];
        Node<T>& target = *this->inputs[1];
        const T factor = T(2) * scale * this->grad(0, 0);
        if (pred.requires_grad) {
            pred.accumulate(factor * (pred.value - target.value));
        }
        if (target.requires_grad) {
            target.accumulate(factor * (target.value - pred.value));
        }
    }
};

template <class T>
struct NllNode final : Node<T> {
    explicit NllNode(std::span<const std::int32_t> y) : labels(y.begin(), y.end()) {}
    std::vector<std::int32_t> labels;
    std::string_view op_name() const noexcept override { return "nll_loss"; }
    void backward() override {
        Node<T>& log_probs = *this->inputs[0];
        if (!log_probs.has_grad) {
            log_probs.grad.setZero(log_probs.value.rows(), log_probs.value.cols());
            log_probs.has_grad = true;
        }
        const T share = this->grad(0, 0) / static_cast<T>(labels.size());
        for (std::size_t i = 0; i < labels.size(); ++i) {
            log_probs.grad(static_cast<Index>(i), labels[i]) -= share;
        }
    }
};

template <class T>
struct CrossEntropyNode final : Node<T> {
    explicit CrossEntropyNode(std::span<const std::int32_t> y, Matrix<T>&& p)
        : labels(y.begin(), y.end()), probabilities(std::move(p)) {}
    std::vector<std::int32_t> labels;
    Matrix<T> probabilities; // softmax of the logits, saved by forward
    std::string_view op_name() const noexcept override { return "cross_entropy"; }
    void backward() override {
        // d loss / d logits = (softmax - onehot) / n
        const T share = this->grad(0, 0) / static_cast<T>(labels.size());
        Node<T>& logits = *this->inputs[0];
        const bool first = !logits.has_grad;
        if (first) {
            logits.grad.noalias() = share * probabilities;
            logits.has_grad = true;
        } else {
            logits.grad.noalias() += share * probabilities;
        }
        for (std::size_t i = 0; i < labels.size(); ++i) {
            logits.grad(static_cast<Index>(i), labels[i]) -= share;
        }
    }
};

template <class T>
void check_labels(const char* op, const Tensor<T>& scores, std::span<const std::int32_t> labels) {
    if (static_cast<Index>(labels.size()) != scores.rows()) {
        throw ShapeError(std::string(op) + ": " + std::to_string(labels.size()) + " labels for " +
                         std::to_string(scores.rows()) + " rows of scores");
    }
    if (labels.empty()) {
        throw ShapeError(std::string(op) + ": no examples");
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || labels[i] >= scores.cols()) {
            throw ArgumentError(std::string(op) + ": label " + std::to_string(labels[i]) + " at position " +
                                std::to_string(i) + " is outside [0, " + std::to_string(scores.cols()) + ")");
        }
    }
}

/// ShapeError unless the model gave one score per class of the data:
/// a wider model would be trained and scored against classes no example
/// has (a model moved from is an empty Sequential, which gives its input
/// back), a narrower one would fail on the larger labels.
inline void check_class_scores(const char* op, Index scores, std::int32_t class_count) {
    if (scores != class_count) {
        throw ShapeError(std::string(op) + ": the model gives " + std::to_string(scores) +
                         " scores per example, the data has " + std::to_string(class_count) +
                         " classes: its last layer must have " + std::to_string(class_count) + " outputs");
    }
}

} // namespace fedpp::detail

namespace fedpp::nn {

/// Squared error between prediction and target (same shape), summed or
/// averaged over all elements. PyTorch's default reduction is mean.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& prediction, const Tensor<T>& target, Reduction reduction = Reduction::mean) {
    fedpp::detail::require_same_shape("mse_loss", prediction, target);
    if (prediction.size() == 0) {
        throw ShapeError("mse_loss: the tensors are empty");
    }
    const T total = (prediction.value() - target.value()).squaredNorm();
    const T scale = reduction == Reduction::sum ? T(1) : T(1) / static_cast<T>(prediction.size());
    return fedpp::detail::record<fedpp::detail::MseNode<T>>(fedpp::detail::scalar_matrix<T>(scale * total),
                                                          {&prediction, &target}, scale);
}

/// Mean negative log-likelihood of integer `labels` (one per row) under
/// row-wise log-probabilities.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& log_probabilities, std::span<const std::int32_t> labels) {
    fedpp::detail::check_labels("nll_loss", log_probabilities, labels);
    T total = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        total -= log_probabilities.value()(static_cast<Index>(i), labels[i]);
    }
    return fedpp::detail::record<fedpp::detail::NllNode<T>>(
        fedpp::detail::scalar_matrix<T>(total / static_cast<T>(labels.size())), {&log_probabilities},
        labels);
}

/// Mean cross-entropy of integer `labels` (one per row) given unnormalised
/// scores (logits): nll_loss(log_softmax(logits)) in one node.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, std::span<const std::int32_t> labels) {
    fedpp::detail::check_labels("cross_entropy", logits, labels);
    Matrix<T> log_probs = fedpp::detail::log_softmax_rows(logits.value());
    T total = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        total -= log_probs(static_cast<Index>(i), labels[i]);
    }
    auto value = fedpp::detail::scalar_matrix<T>(total / static_cast<T>(labels.size()));
    if (!(is_grad_enabled() && logits.requires_grad())) {
        return Tensor<T>(std::move(value));
    }
    log_probs.array() = log_probs.array().exp(); // now the softmax, kept for backward
    return fedpp::detail::record<fedpp::detail::CrossEntropyNode<T>>(std::move(value), {&logits}, labels,
                                                                   std::move(log_probs));
}

} // namespace fedpp::nn

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::MseNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::NllNode);
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::CrossEntropyNode);
