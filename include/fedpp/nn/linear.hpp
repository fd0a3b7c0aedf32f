// fedpp: nn::Linear, the fully connected layer y = x W^T + b.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cmath>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::nn {

/// A fully connected layer: weight is out x in, bias is 1 x out, and
/// forward(x) = x W^T + b for a batch x of shape n x in.
template <class T = float>
class Linear {
public:
    using scalar_type = T;
    using matrix_type = Matrix<T>;

    /// Initialised as torch.nn.Linear is: weight and bias drawn from
    /// U(-1/sqrt(in), 1/sqrt(in)), here from `generator` (weight first, row
    /// by row, then bias), so a seed fixes the initial model.
    Linear(Index in_features, Index out_features, Generator& generator)
        : Linear(initial_values(in_features, out_features, generator)) {}

    /// A layer with the given weight (out x in) and bias (1 x out); the
    /// values are copied into new parameter tensors.
    // The parameters are built in the initialiser list, not assigned in the
    // body: a default-constructed Tensor allocates a node of its own, and
    // layers are built at every send, move and copy of a model.
    Linear(matrix_type weight, matrix_type bias)
        : weight_(checked_weight(std::move(weight), bias), true), bias_(std::move(bias), true) {}

    /// The same from tensors: their values are copied, not shared.
    Linear(const Tensor<T>& weight, const Tensor<T>& bias) : Linear(weight.value(), bias.value()) {}

    /// The same from nested lists, the weight's rows first (one per output),
    /// then the bias: nn::Linear<double>({{0.5, -0.25}}, {0.1}) has 2 inputs
    /// and 1 output. ShapeError for ragged rows or a bias of another length.
    Linear(std::initializer_list<std::initializer_list<T>> weight, std::initializer_list<T> bias)
        : Linear(Tensor<T>(weight).value(), Tensor<T>({bias}).value()) {}

    Linear(Linear&&) noexcept = default;
    Linear& operator=(Linear&&) noexcept = default;
    Linear(const Linear&) = delete; // models are copied explicitly: use copy()
    Linear& operator=(const Linear&) = delete;
    ~Linear() = default;

    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const { return linear(x, weight_, bias_); }
    [[nodiscard]] Tensor<T> forward(const Tensor<T>& x) const { return linear(x, weight_, bias_); }

    [[nodiscard]] Index in_features() const { return weight_.cols(); }
    [[nodiscard]] Index out_features() const { return weight_.rows(); }

    [[nodiscard]] const Tensor<T>& weight() const noexcept { return weight_; }
    [[nodiscard]] Tensor<T>& weight() noexcept { return weight_; }
    [[nodiscard]] const Tensor<T>& bias() const noexcept { return bias_; }
    [[nodiscard]] Tensor<T>& bias() noexcept { return bias_; }

    /// {weight, bias}: handles sharing the layer's storage.
    [[nodiscard]] std::vector<Tensor<T>> parameters() const { return {weight_, bias_}; }

    /// f(weight), then f(bias): the parameters in order, without handles.
    template <class F>
    void for_each_parameter(F&& f) const {
        f(weight_);
        f(bias_);
    }

    /// An independent layer with the same values (and no gradients).
    [[nodiscard]] Linear copy() const { return Linear(weight_.value(), bias_.value()); }

    /// "Linear(784, 200)".
    [[nodiscard]] std::string describe() const {
        return "Linear(" + std::to_string(in_features()) + ", " + std::to_string(out_features()) + ")";
    }

private:
    explicit Linear(std::pair<matrix_type, matrix_type> weight_and_bias)
        : Linear(std::move(weight_and_bias.first), std::move(weight_and_bias.second)) {}

    static std::pair<matrix_type, matrix_type> initial_values(Index in_features, Index out_features,
                                                              Generator& generator) {
        if (in_features <= 0 || out_features <= 0) {
            throw ShapeError("nn::Linear(" + std::to_string(in_features) + ", " + std::to_string(out_features) +
                             "): both sizes must be positive");
        }
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
        matrix_type weight(out_features, in_features);
        for (Index r = 0; r < out_features; ++r) {
            for (Index c = 0; c < in_features; ++c) {
                weight(r, c) = static_cast<T>(generator.uniform(-bound, bound));
            }
        }
        matrix_type bias(1, out_features);
        for (Index c = 0; c < out_features; ++c) {
            bias(0, c) = static_cast<T>(generator.uniform(-bound, bound));
        }
        return {std::move(weight), std::move(bias)};
    }

    /// `weight`, if it and `bias` have the shapes of a layer; ShapeError if not.
    static matrix_type checked_weight(matrix_type weight, const matrix_type& bias) {
        if (weight.rows() <= 0 || weight.cols() <= 0) {
            throw ShapeError("nn::Linear: the weight is " + detail::shape_of(weight.rows(), weight.cols()) +
                             "; it must be out x in with both sizes positive");
        }
        if (bias.rows() != 1 || bias.cols() != weight.rows()) {
            throw ShapeError("nn::Linear: the bias is " + detail::shape_of(bias.rows(), bias.cols()) +
                             " but the weight is " + detail::shape_of(weight.rows(), weight.cols()) +
                             "; the bias must be 1x" + std::to_string(weight.rows()));
        }
        return weight;
    }

    Tensor<T> weight_;
    Tensor<T> bias_;
};

} // namespace fedpp::nn
