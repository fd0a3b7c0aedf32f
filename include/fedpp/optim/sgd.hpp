// fedpp: stochastic gradient descent, as torch.optim.SGD (no dampening, no
// Nesterov).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::optim {

/// Updates every parameter in one step() call:
///     d = grad + weight_decay * p
///     buf = momentum * buf + d   (buf = d on the first step)   if momentum > 0
///     p -= lr * (momentum > 0 ? buf : d)
/// Parameters without a gradient are skipped, as in PyTorch.
template <class T>
class SGD {
public:
    SGD(std::vector<Tensor<T>> parameters, std::type_identity_t<T> learning_rate,
        std::type_identity_t<T> momentum = 0, std::type_identity_t<T> weight_decay = 0)
        : parameters_(std::move(parameters)), learning_rate_(learning_rate), momentum_(momentum),
          weight_decay_(weight_decay) {
        check_non_negative("learning rate", learning_rate);
        check_non_negative("momentum", momentum);
        check_non_negative("weight decay", weight_decay);
        for (std::size_t i = 0; i < parameters_.size(); ++i) {
            if (!parameters_[i].is_leaf() || !parameters_[i].requires_grad()) {
                throw ArgumentError("optim::SGD: parameter " + std::to_string(i) +
                                    " is not a leaf tensor that requires a gradient, so it cannot be "
                                    "optimised");
            }
        }
    }

    /// Sets every parameter's gradient to zero (keeping its memory).
    void zero_grad() noexcept {
        for (auto& p : parameters_) {
            p.zero_grad();
        }
    }

    void step() {
        for (std::size_t i = 0; i < parameters_.size(); ++i) {
            Tensor<T>& p = parameters_[i];
            if (!p.has_grad()) {
                continue;
            }
            auto& value = p.value();
            const auto& grad = p.grad();
            if (momentum_ == T(0)) {
                if (weight_decay_ == T(0)) {
                    value -= learning_rate_ * grad;
                } else {
                    value -= learning_rate_ * (grad + weight_decay_ * value);
                }
                continue;
            }
            if (momentum_buffers_.empty()) {
                momentum_buffers_.resize(parameters_.size()); // on first use: plain SGD needs none
            }
            auto& buffer = momentum_buffers_[i];
            if (buffer.size() == 0) {
                buffer = grad + weight_decay_ * value;
            } else {
                buffer = momentum_ * buffer + (grad + weight_decay_ * value);
            }
            value -= learning_rate_ * buffer;
        }
    }

    [[nodiscard]] T learning_rate() const noexcept { return learning_rate_; }
    void set_learning_rate(T learning_rate) {
        check_non_negative("learning rate", learning_rate);
        learning_rate_ = learning_rate;
    }
    [[nodiscard]] const std::vector<Tensor<T>>& parameters() const noexcept { return parameters_; }

private:
    static void check_non_negative(const char* what, T value) {
        if (!(value >= T(0)) || !std::isfinite(value)) {
            throw ArgumentError(std::string("optim::SGD: the ") + what + " must be finite and >= 0, got " +
                                std::to_string(value));
        }
    }

    std::vector<Tensor<T>> parameters_;
    T learning_rate_;
    T momentum_;
    T weight_decay_;
    std::vector<Matrix<T>> momentum_buffers_;
};

template <class T, class... Rest>
SGD(std::vector<Tensor<T>>, Rest...) -> SGD<T>;

} // namespace fedpp::optim
