// fedpp: nn::Conv2d, the 2-d convolution layer.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::nn {

/// Stride and zero padding of a convolution (PyTorch's defaults: 1 and 0).
struct Conv2dOptions {
    Size2 stride{1};
    Size2 padding{0};
};

/// A convolution over images of a given shape (see
/// fedpp/tensor/image_shape.hpp), as torch.nn.Conv2d with a bias:
///
///     nn::Conv2d<> conv(train.image_shape(), 32, 5, generator, {.padding = 2});  // 1x28x28 -> 32x28x28
///
/// Built with the shape of its input (tensors are N x (C*H*W) matrices, so
/// a layer must be told C, H and W); output_shape() is what the next image
/// layer takes, and output_shape().size() the width of a Linear after a
/// Flatten. The weight is out_channels x (C*kh*kw), the rows of PyTorch's
/// O x C x kh x kw weight in its order; the bias is 1 x out_channels.
/// ShapeError for a bad shape or window, and for an input whose columns are
/// not input_shape().size().
template <class T = float>
class Conv2d {
public:
    using scalar_type = T;
    using matrix_type = Matrix<T>;

    /// Initialised as torch.nn.Conv2d is: weight and bias drawn from
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C*kh*kw, here from
    /// `generator` (weight first, row by row, then bias).
    Conv2d(ImageShape input, Index out_channels, Size2 kernel, Generator& generator, Conv2dOptions options = {})
        : Conv2d(input, kernel, options, initial_values(input, out_channels, kernel, options, generator)) {}

    /// A layer with the given weight (out_channels x C*kh*kw) and bias
    /// (1 x out_channels); the values are copied into new parameter tensors.
    Conv2d(ImageShape input, Size2 kernel, Conv2dOptions options, matrix_type weight, matrix_type bias)
        : geometry_(checked_geometry(input, kernel, options, weight, bias)), weight_(std::move(weight), true),
          bias_(std::move(bias), true) {}

    Conv2d(Conv2d&&) noexcept = default;
    Conv2d& operator=(Conv2d&&) noexcept = default;
    Conv2d(const Conv2d&) = delete; // models are copied explicitly: use copy()
    Conv2d& operator=(const Conv2d&) = delete;
    ~Conv2d() = default;

    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const {
        return conv2d(x, geometry_.input, weight_, bias_, geometry_.window);
    }
    [[nodiscard]] Tensor<T> forward(const Tensor<T>& x) const { return (*this)(x); }

    [[nodiscard]] const ImageShape& input_shape() const noexcept { return geometry_.input; }
    [[nodiscard]] const ImageShape& output_shape() const noexcept { return geometry_.output; }
    [[nodiscard]] Index in_channels() const noexcept { return geometry_.input.channels; }
    [[nodiscard]] Index out_channels() const noexcept { return geometry_.output.channels; }
    [[nodiscard]] const Window2d& window() const noexcept { return geometry_.window; }
    [[nodiscard]] Conv2dOptions options() const noexcept { return {window().stride, window().padding}; }

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
    [[nodiscard]] Conv2d copy() const {
        return Conv2d(input_shape(), window().kernel, options(), weight_.value(), bias_.value());
    }

    /// "Conv2d(1, 32, kernel 5x5, stride 1x1, padding 2x2) 1x28x28 -> 32x28x28".
    [[nodiscard]] std::string describe() const {
        const Window2d& w = window();
        return "Conv2d(" + std::to_string(in_channels()) + ", " + std::to_string(out_channels()) + ", kernel " +
               w.kernel.to_string() + ", stride " + w.stride.to_string() + ", padding " + w.padding.to_string() +
               ") " + input_shape().to_string() + " -> " + output_shape().to_string();
    }

private:
    Conv2d(ImageShape input, Size2 kernel, Conv2dOptions options, std::pair<matrix_type, matrix_type> values)
        : Conv2d(input, kernel, options, std::move(values.first), std::move(values.second)) {}

    static detail::WindowGeometry geometry(ImageShape input, Index out_channels, Size2 kernel,
                                           Conv2dOptions options) {
        return detail::conv_geometry("nn::Conv2d", input, out_channels, {kernel, options.stride, options.padding});
    }

    static std::pair<matrix_type, matrix_type> initial_values(ImageShape input, Index out_channels, Size2 kernel,
                                                              Conv2dOptions options, Generator& generator) {
        const detail::WindowGeometry g = geometry(input, out_channels, kernel, options); // checked before drawing
        const double bound = 1.0 / std::sqrt(static_cast<double>(g.patch_size()));
        matrix_type weight(out_channels, g.patch_size());
        for (Index i = 0; i < weight.size(); ++i) {
            weight.data()[i] = static_cast<T>(generator.uniform(-bound, bound)); // row-major: row by row
        }
        matrix_type bias(1, out_channels);
        for (Index c = 0; c < out_channels; ++c) {
            bias(0, c) = static_cast<T>(generator.uniform(-bound, bound));
        }
        return {std::move(weight), std::move(bias)};
    }

    static detail::WindowGeometry checked_geometry(ImageShape input, Size2 kernel, Conv2dOptions options,
                                                   const matrix_type& weight, const matrix_type& bias) {
        const detail::WindowGeometry g = geometry(input, weight.rows(), kernel, options);
        if (weight.cols() != g.patch_size()) {
            throw ShapeError("nn::Conv2d: the weight is " + detail::shape_of(weight.rows(), weight.cols()) +
                             "; with " + std::to_string(input.channels) + " input channels and a " +
                             kernel.to_string() + " kernel it must be out_channels x " +
                             std::to_string(g.patch_size()));
        }
        if (bias.rows() != 1 || bias.cols() != weight.rows()) {
            throw ShapeError("nn::Conv2d: the bias is " + detail::shape_of(bias.rows(), bias.cols()) +
                             " but the weight is " + detail::shape_of(weight.rows(), weight.cols()) +
                             "; the bias must be 1x" + std::to_string(weight.rows()));
        }
        return g;
    }

    detail::WindowGeometry geometry_;
    Tensor<T> weight_;
    Tensor<T> bias_;
};

} // namespace fedpp::nn
