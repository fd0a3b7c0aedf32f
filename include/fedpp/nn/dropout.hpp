// fedpp: nn::Dropout, for use in nn::Sequential.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/nn/mode.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <sstream>
#include <string>

namespace fedpp::nn {

/// Inverted dropout, as torch.nn.Dropout: in a training forward
/// (model(x, TrainingMode{generator})) each value is zeroed with probability
/// p and the others scaled by 1 / (1 - p), drawing from the generator; in
/// an evaluation forward (model(x)) the input passes through unchanged.
class Dropout {
public:
    /// ArgumentError unless 0 <= p <= 1.
    explicit Dropout(double p = 0.5) : p_(p) {
        if (!(p >= 0 && p <= 1)) {
            throw ArgumentError("nn::Dropout: the probability must be in [0, 1], got " + std::to_string(p));
        }
    }

    /// Evaluation: x itself.
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const {
        return x;
    }
    /// Training: dropout(x, p, mode.generator).
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x, TrainingMode mode) const {
        return dropout(x, p_, mode.generator);
    }

    [[nodiscard]] double p() const noexcept { return p_; }

    /// "Dropout(0.5)".
    [[nodiscard]] std::string describe() const {
        std::ostringstream text;
        text << "Dropout(" << p_ << ")";
        return text.str();
    }

private:
    double p_;
};

} // namespace fedpp::nn
