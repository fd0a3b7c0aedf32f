// fedpp: stochastic gradient descent, as torch.optim.SGD (no dampening, no
// Nesterov).
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cmath>
#include <limits>
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
///
/// The hyperparameters are given in double (or any type that converts to
/// T without first losing precision) and kept in the model's scalar type T,
/// as PyTorch does: `SGD opt(params, 0.1)` gives a double model exactly 0.1.
/// A float, such as 0.1f, for a double model does not compile: it would be
/// 0.100000001490116 (write 0.1).
template <class T>
class SGD {
public:
    template <class LearningRate, class Momentum = T, class WeightDecay = T>
    SGD(std::vector<Tensor<T>> parameters, LearningRate learning_rate, Momentum momentum = Momentum(0),
        WeightDecay weight_decay = WeightDecay(0))
        : parameters_(std::move(parameters)), learning_rate_(static_cast<T>(learning_rate)),
          momentum_(static_cast<T>(momentum)), weight_decay_(static_cast<T>(weight_decay)) {
        static_assert(std::is_arithmetic_v<LearningRate> && std::is_arithmetic_v<Momentum> &&
                          std::is_arithmetic_v<WeightDecay>,
                      "optim::SGD: the learning rate, momentum and weight decay are numbers");
        static_assert(!narrower_than_model<LearningRate> && !narrower_than_model<Momentum> &&
                          !narrower_than_model<WeightDecay>,
                      "optim::SGD: a float hyperparameter (such as 0.1f) for a double model would be rounded to "
                      "float first (0.1f is 0.100000001490116): write it as a double (0.1)");
        check_non_negative("learning rate", learning_rate_);
        check_non_negative("momentum", momentum_);
        check_non_negative("weight decay", weight_decay_);
        for (std::size_t i = 0; i < parameters_.size(); ++i) {
            if (!parameters_[i].is_leaf() || !parameters_[i].requires_grad()) {
                throw ArgumentError("optim::SGD: parameter " + std::to_string(i) +
                                    " is not a leaf tensor that requires a gradient, so it cannot be "
                                    "optimised");
            }
        }
    }

    /// Sets every parameter's gradient to zero (keeping its memory).
    void zero_grad() {
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
    template <class LearningRate>
    void set_learning_rate(LearningRate learning_rate) {
        static_assert(std::is_arithmetic_v<LearningRate> && !narrower_than_model<LearningRate>,
                      "optim::SGD::set_learning_rate: a number, and not a float (0.1f) for a double model: write 0.1");
        check_non_negative("learning rate", static_cast<T>(learning_rate));
        learning_rate_ = static_cast<T>(learning_rate);
    }
    [[nodiscard]] const std::vector<Tensor<T>>& parameters() const noexcept { return parameters_; }

private:
    static void check_non_negative(const char* what, T value) {
        if (!(value >= T(0)) || !std::isfinite(value)) {
            throw ArgumentError(std::string("optim::SGD: the ") + what + " must be finite and >= 0, got " +
                                std::to_string(value));
        }
    }

    /// A floating-point type with less precision than T.
    template <class U>
    static constexpr bool narrower_than_model =
        std::is_floating_point_v<U> && std::numeric_limits<U>::digits < std::numeric_limits<T>::digits;

    std::vector<Tensor<T>> parameters_;
    T learning_rate_;
    T momentum_;
    T weight_decay_;
    std::vector<Matrix<T>> momentum_buffers_;
};

template <class T, class... Rest>
SGD(std::vector<Tensor<T>>, Rest...) -> SGD<T>;

} // namespace fedpp::optim

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(class fedpp::optim::SGD);
