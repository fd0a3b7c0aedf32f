// fedpp: conv2d, the 2-d convolution of a batch of images (the building
// block of nn::Conv2d), one node with its backward kernel.
//
// Per image n, with X_n its unfolded input (im2col: C*kh*kw x Ho*Wo) and G_n
// the gradient of its output seen as an O x Ho*Wo matrix:
//
//   Y_n  = W X_n + b            dW += G_n X_n^T            db += rowsum G_n
//   dX_n = col2im(W^T G_n)
//
// With stride 1, each of these whose sums fit the rule of
// detail::direct_sums_pay (vectors of 256 bits or wider with FMA, whole
// packets of channels, enough terms, a weight slice within a quarter of the
// level-2 cache: in the MNIST CNN, all of the second convolution and the
// first one's weight gradient) is computed straight from the padded images,
// vectorised along the channels (direct_convolution.hpp). The others unfold
// X_n (im2col.hpp) and go to the matrix-product kernels (the large ones to the BLAS:
// base/matrix_product.hpp). Either way the scratch buffers are per thread
// and the size of one image's: the memory of a forward pass does not grow
// with the batch beyond its output, and a training step allocates no
// scratch once warm.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/matrix_product.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/ops/direct_convolution.hpp"
#include "fedpp/tensor/ops/im2col.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <string>
#include <utility>

namespace fedpp {

namespace detail {

/// The matrix of image n's output (or output gradient): channels x positions.
template <class T>
Eigen::Map<Matrix<T>> image_block(Matrix<T>& batch, Index n, const ImageShape& shape) {
    return {batch.data() + n * batch.cols(), shape.channels, shape.height * shape.width};
}
template <class T>
Eigen::Map<const Matrix<T>> image_block(const Matrix<T>& batch, Index n, const ImageShape& shape) {
    return {batch.data() + n * batch.cols(), shape.channels, shape.height * shape.width};
}

template <class T>
struct Conv2dNode final : Node<T> {
    explicit Conv2dNode(const WindowGeometry& g) : geometry(g) {}
    WindowGeometry geometry;
    std::string_view op_name() const noexcept override { return "conv2d"; }
    void backward() override {
        Node<T>& x = *this->inputs[0];
        Node<T>& weight = *this->inputs[1];
        Node<T>& bias = *this->inputs[2];
        const WindowGeometry& g = geometry;
        Matrix<T> weight_grad;
        Matrix<T> input_grad(x.requires_grad ? x.value.rows() : 0, x.value.cols()); // every row is written
        // Where detail::direct_sums_pay allows: straight from the images
        // (direct_convolution.hpp); otherwise through the unfolded images.
        const bool direct_weight = weight.requires_grad && direct_weight_gradient_applies<T>(g);
        const bool direct_input = x.requires_grad && direct_input_gradient_applies<T>(g);
        if (direct_weight) {
            direct_conv2d_weight_gradient(g, x.value, this->grad, weight_grad);
        } else if (weight.requires_grad) {
            weight_grad.setZero(weight.value.rows(), weight.value.cols());
        }
        if (direct_input) {
            direct_conv2d_input_gradient(g, this->grad, weight.value, input_grad);
        }
        const bool unfolded_weight = weight.requires_grad && !direct_weight;
        const bool unfolded_input = x.requires_grad && !direct_input;
        if (unfolded_weight || unfolded_input) {
            unfolded_gradients(x.value, weight.value, unfolded_weight ? &weight_grad : nullptr,
                               unfolded_input ? &input_grad : nullptr);
        }
        if (bias.requires_grad) {
            Matrix<T> bias_grad = Matrix<T>::Zero(1, g.output.channels);
            for (Index n = 0; n < x.value.rows(); ++n) {
                bias_grad += image_block(std::as_const(this->grad), n, g.output).rowwise().sum().transpose();
            }
            bias.accumulate(std::move(bias_grad));
        }
        if (weight.requires_grad) {
            weight.accumulate(std::move(weight_grad));
        }
        if (x.requires_grad) {
            x.accumulate(std::move(input_grad));
        }
    }

    /// The general path: *weight_grad += G_n X_n^T and image n of
    /// *input_grad = col2im(W^T G_n), for each image n (null: not wanted).
    void unfolded_gradients(const Matrix<T>& x, const Matrix<T>& weight, Matrix<T>* weight_grad,
                            Matrix<T>* input_grad) const {
        const WindowGeometry& g = geometry;
        Unfolder<T> unfolder(g);
        auto columns = unfolder.columns();
        for (Index n = 0; n < x.rows(); ++n) {
            const auto out_grad = image_block(this->grad, n, g.output);
            if (weight_grad != nullptr) {
                unfolder.unfold(x.data() + n * x.cols());
                multiply_into(*weight_grad, out_grad, columns.transpose(), true);
            }
            if (input_grad != nullptr) {
                multiply_into(columns, weight.transpose(), out_grad, false);
                unfolder.fold(input_grad->data() + n * input_grad->cols());
            }
        }
    }
};

/// The image shape conv2d's output has, checked (ShapeError naming `op`).
inline WindowGeometry conv_geometry(const std::string& op, const ImageShape& input, Index out_channels,
                                    const Window2d& window) {
    if (out_channels <= 0) {
        throw ShapeError(op + ": the number of output channels must be positive, got " +
                         std::to_string(out_channels));
    }
    const WindowGeometry g{input, windowed_shape(op, input, out_channels, window), window};
    // The scratch buffers: the unfolded image, and the image with its padding.
    (void)checked_product(op, g.patch_size(), g.positions());
    (void)checked_product(op, checked_product(op, input.channels, input.height + 2 * window.padding.height),
                          input.width + 2 * window.padding.width);
    return g;
}

template <class T>
void check_conv_operands(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias,
                         const WindowGeometry& g) {
    if (x.cols() != g.input.size()) {
        throw ShapeError("conv2d: the input is " + x.shape_string() + " but images of " + g.input.to_string() +
                         " need " + std::to_string(g.input.size()) +
                         " columns (a batch of N images is N x (C*H*W), channel-major rows)");
    }
    if (weight.rows() != g.output.channels || weight.cols() != g.patch_size()) {
        throw ShapeError("conv2d: the weight is " + weight.shape_string() + ", expected " +
                         shape_of(g.output.channels, g.patch_size()) + " (out channels x in channels * " +
                         g.window.kernel.to_string() + ")");
    }
    if (bias.rows() != 1 || bias.cols() != g.output.channels) {
        throw ShapeError("conv2d: the bias is " + bias.shape_string() + ", expected 1x" +
                         std::to_string(g.output.channels));
    }
}

} // namespace detail

/// The 2-d convolution (cross-correlation, as torch.nn.functional.conv2d)
/// of a batch of images with zero padding. `x` is N x (C*H*W), images of
/// shape `input` (see image_shape.hpp); `weight` is O x (C*kh*kw), the rows
/// of PyTorch's O x C x kh x kw weight; `bias` is 1 x O. The result is
/// N x (O*Ho*Wo), images of shape conv2d_output_shape(input, O, window).
/// ShapeError for operands or a window that do not fit.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const ImageShape& input, const Tensor<T>& weight, const Tensor<T>& bias,
                 const Window2d& window) {
    const detail::WindowGeometry g = detail::conv_geometry("conv2d", input, weight.rows(), window);
    detail::check_conv_operands(x, weight, bias, g);
    Matrix<T> out(x.rows(), g.output.size());
    if (detail::direct_convolution_applies<T>(g)) {
        detail::direct_conv2d(g, x.value(), weight.value(), bias.value(), out);
        return detail::record<detail::Conv2dNode<T>>(std::move(out), {&x, &weight, &bias}, g);
    }
    detail::Unfolder<T> unfolder(g);
    auto columns = unfolder.columns();
    for (Index n = 0; n < x.rows(); ++n) {
        unfolder.unfold(x.value().data() + n * x.cols());
        auto y = detail::image_block(out, n, g.output);
        y.colwise() = bias.value().row(0).transpose();
        detail::multiply_into(y, weight.value(), columns, true);
    }
    return detail::record<detail::Conv2dNode<T>>(std::move(out), {&x, &weight, &bias}, g);
}

/// The shape of conv2d's output images: out_channels x Ho x Wo, with
/// Ho = floor((H + 2 padding - kernel) / stride) + 1 (and Wo alike).
inline ImageShape conv2d_output_shape(const ImageShape& input, Index out_channels, const Window2d& window) {
    return detail::conv_geometry("conv2d", input, out_channels, window).output;
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::Conv2dNode);
