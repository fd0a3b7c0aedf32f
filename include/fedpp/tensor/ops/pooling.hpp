// fedpp: max_pool2d, the max over windows of a batch of images (the building
// block of nn::MaxPool2d), one node: backward sends each output's gradient to
// the input position its maximum came from.
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/ops/im2col.hpp"
#include "fedpp/tensor/ops/max_pool_kernels.hpp"
#include "fedpp/tensor/ops/record.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace fedpp {

namespace detail {

template <class T>
struct MaxPool2dNode final : Node<T> {
    explicit MaxPool2dNode(const WindowGeometry& g) : geometry(g) {}
    WindowGeometry geometry;
    std::string_view op_name() const noexcept override { return "max_pool2d"; }
    // Where each maximum was is found again, image by image, by the rule
    // forward's kernels follow (so ties and NaNs resolve the same way),
    // rather than kept for the whole batch: the input's values are in the
    // graph anyway, and a scan is cheap next to the memory a batch of indices
    // takes. 2x2 windows with stride 2 do it in the same pass that writes
    // the gradient; other windows find the positions, then add into them.
    void backward() override {
        Node<T>& x = *this->inputs[0];
        const WindowGeometry& g = geometry;
        Matrix<T> input_grad(x.value.rows(), x.value.cols()); // each row written or zeroed when its turn comes
        const Index outputs = this->grad.cols();
        if (is_pool_2x2(g.window)) { // windows that do not overlap: one pass per image
            for (Index n = 0; n < this->grad.rows(); ++n) {
                max_pool_2x2_gradient_image(g, x.value.data() + n * x.value.cols(),
                                            this->grad.data() + n * outputs,
                                            input_grad.data() + n * input_grad.cols());
            }
            x.accumulate(std::move(input_grad));
            return;
        }
        T* maxima = scratch<T, pooling_slot>(outputs);
        Index* argmax = scratch<Index, pooling_slot>(outputs);
        for (Index n = 0; n < this->grad.rows(); ++n) {
            max_pool_image(g, x.value.data() + n * x.value.cols(), maxima, argmax);
            const T* from = this->grad.data() + n * outputs;
            T* to = input_grad.data() + n * input_grad.cols();
            std::fill(to, to + input_grad.cols(), T(0));
            for (Index o = 0; o < outputs; ++o) {
                to[argmax[o]] += from[o];
            }
        }
        x.accumulate(std::move(input_grad));
    }
};

/// The pooling window's geometry, checked: PyTorch's rules, including a
/// padding of at most half the kernel (so that no window lies in the border).
inline WindowGeometry pool_geometry(const ImageShape& input, const Window2d& window) {
    const std::string op = "max_pool2d";
    check_image_shape(op, input);
    const ImageShape output = windowed_shape(op, input, input.channels, window);
    if (2 * window.padding.height > window.kernel.height || 2 * window.padding.width > window.kernel.width) {
        throw ShapeError(op + ": the padding " + window.padding.to_string() + " must be at most half the kernel " +
                         window.kernel.to_string());
    }
    return {input, output, window};
}

} // namespace detail

/// Max pooling of a batch of images: `x` is N x (C*H*W), images of shape
/// `input` (see image_shape.hpp); the result is N x (C*Ho*Wo), the largest
/// value of each window (as torch.nn.functional.max_pool2d: padded
/// positions never win, a NaN in a window wins, ties go to the first in
/// scan order). ShapeError for a bad window or an input of another width.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, const ImageShape& input, const Window2d& window) {
    const detail::WindowGeometry g = detail::pool_geometry(input, window);
    if (x.cols() != g.input.size()) {
        throw ShapeError("max_pool2d: the input is " + x.shape_string() + " but images of " + g.input.to_string() +
                         " need " + std::to_string(g.input.size()) +
                         " columns (a batch of N images is N x (C*H*W), channel-major rows)");
    }
    Matrix<T> out(x.rows(), g.output.size());
    for (Index n = 0; n < x.rows(); ++n) {
        detail::max_pool_image<T>(g, x.value().data() + n * x.cols(), out.data() + n * out.cols(), nullptr);
    }
    return detail::record<detail::MaxPool2dNode<T>>(std::move(out), {&x}, g);
}

/// The shape of max_pool2d's output images: C x Ho x Wo.
inline ImageShape max_pool2d_output_shape(const ImageShape& input, const Window2d& window) {
    return detail::pool_geometry(input, window).output;
}

} // namespace fedpp

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
FEDPP_EXTERN_FLOAT_AND_DOUBLE(struct fedpp::detail::MaxPool2dNode);
