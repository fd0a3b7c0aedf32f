// fedpp: how a batch of images is laid out in a tensor, and the geometry of
// the windows (convolution, pooling) that slide over them.
//
// Tensors are matrices. A batch of N images, each of C channels of H x W
// pixels, is an N x (C*H*W) tensor: one image per row, channel-major, so
// that pixel (c, y, x) of image n is at column (c*H + y)*W + x of row n.
// That is the memory order of PyTorch's contiguous N x C x H x W tensor:
// `x.view(N, C, H, W)` there and an N x (C*H*W) tensor here hold the same
// numbers in the same order, and flattening is free. An ImageShape (C, H, W)
// says how to read a row; the image operations and layers take the shape of
// their input and check the tensor's column count against it.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/matrix.hpp"

#include <limits>
#include <string>

namespace fedpp {

/// The shape of one image: channels x height x width.
struct ImageShape {
    Index channels = 1;
    Index height = 1;
    Index width = 1;

    /// C*H*W: the columns an N x C x H x W batch has.
    [[nodiscard]] constexpr Index size() const noexcept { return channels * height * width; }
    /// "CxHxW", for messages.
    [[nodiscard]] std::string to_string() const {
        return std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
    }
    friend constexpr bool operator==(const ImageShape&, const ImageShape&) = default;
};

/// A height and a width (of a kernel, a stride or a padding); one number
/// means the same for both, as in PyTorch (`5` is 5x5).
struct Size2 {
    Index height;
    Index width;
    constexpr Size2(Index both) noexcept : height(both), width(both) {} // NOLINT: implicit, as PyTorch's int
    constexpr Size2(Index h, Index w) noexcept : height(h), width(w) {}
    friend constexpr bool operator==(const Size2&, const Size2&) = default;
    /// "5x5", for messages.
    [[nodiscard]] std::string to_string() const { return std::to_string(height) + "x" + std::to_string(width); }
};

/// A window sliding over an image: its size, its step, and the border added
/// on each side (zeros for a convolution, ignored positions for pooling).
struct Window2d {
    Size2 kernel;
    Size2 stride{1};
    Size2 padding{0};
};

namespace detail {

/// a * b, or ShapeError naming `op` if it overflows or either is negative.
inline Index checked_product(const std::string& op, Index a, Index b) {
    if (a < 0 || b < 0 || (a != 0 && b > std::numeric_limits<Index>::max() / a)) {
        throw ShapeError(op + ": the sizes " + std::to_string(a) + " and " + std::to_string(b) +
                         " are negative or their product does not fit in an Index");
    }
    return a * b;
}

/// ShapeError unless every extent of `shape` is positive and C*H*W fits.
inline void check_image_shape(const std::string& op, const ImageShape& shape) {
    if (shape.channels <= 0 || shape.height <= 0 || shape.width <= 0) {
        throw ShapeError(op + ": the image shape " + shape.to_string() + " must have positive extents");
    }
    (void)checked_product(op, checked_product(op, shape.channels, shape.height), shape.width);
}

/// One output extent of a window: floor((in + 2 padding - kernel) / stride) + 1.
inline Index window_extent(const std::string& op, const char* which, Index in, Index kernel, Index stride,
                           Index padding) {
    if (kernel <= 0 || stride <= 0 || padding < 0) {
        throw ShapeError(op + ": the " + which + " of the kernel (" + std::to_string(kernel) + "), stride (" +
                         std::to_string(stride) + ") and padding (" + std::to_string(padding) +
                         ") must be positive, positive and non-negative");
    }
    if (padding > (std::numeric_limits<Index>::max() - in) / 2) {
        throw ShapeError(op + ": the padding " + std::to_string(padding) + " is too large");
    }
    const Index padded = in + 2 * padding;
    if (padded < kernel) {
        throw ShapeError(op + ": the kernel's " + which + " " + std::to_string(kernel) + " is larger than the " +
                         which + " of the padded input, " + std::to_string(in) + " + 2 x " + std::to_string(padding));
    }
    return (padded - kernel) / stride + 1;
}

/// The shape a window produces from `input`, with `channels` output
/// channels. ShapeError for a bad input shape or window, naming `op`.
inline ImageShape windowed_shape(const std::string& op, const ImageShape& input, Index channels,
                                 const Window2d& window) {
    check_image_shape(op, input);
    const Index height = window_extent(op, "height", input.height, window.kernel.height, window.stride.height,
                                       window.padding.height);
    const Index width = window_extent(op, "width", input.width, window.kernel.width, window.stride.width,
                                      window.padding.width);
    const ImageShape output{channels, height, width};
    check_image_shape(op, output);
    // The columns of a convolution's unfolded input: C * kernel height * kernel width.
    (void)checked_product(op, checked_product(op, input.channels, window.kernel.height), window.kernel.width);
    return output;
}

} // namespace detail

} // namespace fedpp
