// fedpp: nn::MaxPool2d and nn::Flatten, parameter-free image layers for use
// in nn::Sequential.
#pragma once

#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <string>
#include <string_view>

namespace fedpp::nn {

/// Max pooling over windows of images of a given shape (see
/// fedpp/tensor/image_shape.hpp): as torch.nn.MaxPool2d, the stride is the
/// kernel unless given, and the padding at most half the kernel. Built with
/// the shape of its input, like nn::Conv2d; output_shape() is what the next
/// layer takes. ShapeError for a bad window, and for an input whose columns
/// are not input_shape().size().
class MaxPool2d {
public:
    MaxPool2d(ImageShape input, Size2 kernel) : MaxPool2d(input, kernel, kernel, 0) {}
    MaxPool2d(ImageShape input, Size2 kernel, Size2 stride, Size2 padding = 0)
        : input_(input), window_{kernel, stride, padding}, output_(max_pool2d_output_shape(input, window_)) {}

    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const {
        return max_pool2d(x, input_, window_);
    }

    [[nodiscard]] const ImageShape& input_shape() const noexcept { return input_; }
    [[nodiscard]] const ImageShape& output_shape() const noexcept { return output_; }
    [[nodiscard]] const Window2d& window() const noexcept { return window_; }

    /// "MaxPool2d(kernel 2x2, stride 2x2, padding 0x0) 32x28x28 -> 32x14x14".
    [[nodiscard]] std::string describe() const {
        return "MaxPool2d(kernel " + window_.kernel.to_string() + ", stride " + window_.stride.to_string() +
               ", padding " + window_.padding.to_string() + ") " + input_.to_string() + " -> " +
               output_.to_string();
    }

private:
    ImageShape input_;
    Window2d window_;
    ImageShape output_;
};

/// The end of the image layers: returns its input as is. A batch of images
/// is already N x (C*H*W) in PyTorch's flattening order (image_shape.hpp),
/// so torch.nn.Flatten has nothing to do here; the layer keeps a model's
/// description in step with its PyTorch twin.
struct Flatten {
    static constexpr std::string_view name = "Flatten";
    template <class T>
    [[nodiscard]] Tensor<T> operator()(const Tensor<T>& x) const {
        return x;
    }
};

} // namespace fedpp::nn
