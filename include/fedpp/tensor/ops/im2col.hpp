// fedpp: the geometry of a window over images and the kernels under conv2d,
// one image at a time: the unfolding of an image into the columns a
// convolution multiplies (im2col) and its adjoint (col2im, for the input's
// gradient), with the per-thread scratch buffers conv2d and max_pool2d use.
// See fedpp/tensor/image_shape.hpp for the layout.
#pragma once

#include "fedpp/base/matrix.hpp"
#include "fedpp/tensor/image_shape.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

namespace fedpp::detail {

/// A window over images of shape `input` producing images of shape
/// `output` (built by conv2d and max_pool2d after their checks).
struct WindowGeometry {
    ImageShape input;
    ImageShape output;
    Window2d window;

    /// Rows of the unfolded image: C * kernel height * kernel width.
    [[nodiscard]] Index patch_size() const noexcept {
        return input.channels * window.kernel.height * window.kernel.width;
    }
    /// Output positions per channel: its columns.
    [[nodiscard]] Index positions() const noexcept { return output.height * output.width; }
};

/// The scratch buffers' slots: a caller holds a slot's buffer only until it
/// returns, and never two callers the same slot at once.
enum ScratchSlot : int {
    padded_image_slot,
    unfolded_image_slot,
    pooling_slot,
    padded_gradient_slot, // direct_convolution.hpp: the output's gradient, padded
    convolution_weight_slot, // direct_convolution.hpp: the weight, transposed
    transposed_gradient_slot, // direct_convolution.hpp: an image's output gradient, transposed
    weight_gradient_slot, // direct_convolution.hpp: the weight's gradient, taps x channels
    window_starts_slot, // direct_convolution.hpp: where each output position's window starts
    window_taps_slot, // direct_convolution.hpp: where each tap is in a window
};

/// A per-thread scratch buffer of at least `size` values, one per `slot`,
/// aligned as Eigen aligns its matrices (a 64-byte line with AVX-512). It is
/// kept between calls, so that training steps do not allocate (and the
/// kernel does not fault in) the same blocks again and again.
template <class T, int slot>
T* scratch(Index size) {
    thread_local std::vector<T, Eigen::aligned_allocator<T>> buffer;
    if (static_cast<Index>(buffer.size()) < size) {
        buffer.resize(static_cast<std::size_t>(size));
    }
    return buffer.data();
}

/// The extents of an input channel with its padding.
inline Index padded_height(const WindowGeometry& g) noexcept {
    return g.input.height + 2 * g.window.padding.height;
}
inline Index padded_width(const WindowGeometry& g) noexcept { return g.input.width + 2 * g.window.padding.width; }
inline Index padded_size(const WindowGeometry& g) noexcept {
    return g.input.channels * padded_height(g) * padded_width(g);
}
inline bool has_padding(const WindowGeometry& g) noexcept {
    return g.window.padding.height != 0 || g.window.padding.width != 0;
}

/// Channel c's interior (its unpadded pixels) in a padded image.
template <class T>
Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>> interior(const WindowGeometry& g, T* padded, Index c) {
    const Index wp = padded_width(g);
    T* first = padded + (c * padded_height(g) + g.window.padding.height) * wp + g.window.padding.width;
    return {first, g.input.height, g.input.width, Eigen::OuterStride<>(wp)};
}

/// Copies an image (C*H*W values) into `padded`, C x (H + 2ph) x (W + 2pw)
/// with a zero border.
template <class T>
void pad_image(const WindowGeometry& g, const T* image, T* padded) {
    const Index plane = g.input.height * g.input.width;
    std::fill(padded, padded + padded_size(g), T(0));
    for (Index c = 0; c < g.input.channels; ++c) {
        interior(g, padded, c) = Eigen::Map<const Matrix<T>>(image + c * plane, g.input.height, g.input.width);
    }
}

/// The inverse of pad_image: the interior of `padded`, copied to `image`.
template <class T>
void unpad(const WindowGeometry& g, T* padded, T* image) {
    const Index plane = g.input.height * g.input.width;
    for (Index c = 0; c < g.input.channels; ++c) {
        Eigen::Map<Matrix<T>>(image + c * plane, g.input.height, g.input.width) = interior(g, padded, c);
    }
}

/// Row (c, ki, kj) of the unfolded image and the pixels it holds: output
/// position (oy, ox) reads padded pixel (c, oy*sh + ki, ox*sw + kj). im2col
/// fills the row from those pixels; col2im adds the row into them. Plain
/// loops: the runs are short (an output row), and the compiler vectorises
/// them far better than a generic strided copy.
template <class T>
void unfold_tap(const WindowGeometry& g, const T* padded, Index c, Index ki, Index kj, T* row) {
    const Index wp = padded_width(g);
    const Index width = g.output.width;
    const Index sx = g.window.stride.width;
    const T* first = padded + (c * padded_height(g) + ki) * wp + kj;
    // Stride 1 and rows of at least `chunk` values: copies of `chunk` values
    // (a size the compiler knows), the last one overlapping the one before,
    // rather than a loop of unknown length: 2.5x faster for the 14-wide rows
    // of the MNIST CNN's second convolution.
    constexpr Index chunk = 8;
    for (Index oy = 0; oy < g.output.height; ++oy) {
        const T* from = first + oy * g.window.stride.height * wp;
        T* to = row + oy * width;
        if (sx == 1 && width >= chunk) {
            for (Index ox = 0; ox < width; ox += chunk) {
                const Index at = std::min(ox, width - chunk);
                T values[chunk];
                std::memcpy(values, from + at, sizeof values);
                std::memcpy(to + at, values, sizeof values);
            }
        } else if (sx == 1) {
            for (Index ox = 0; ox < width; ++ox) {
                to[ox] = from[ox];
            }
        } else {
            for (Index ox = 0; ox < width; ++ox) {
                to[ox] = from[ox * sx];
            }
        }
    }
}

template <class T>
void fold_tap(const WindowGeometry& g, T* padded, Index c, Index ki, Index kj, const T* row) {
    const Index wp = padded_width(g);
    const Index width = g.output.width;
    const Index sx = g.window.stride.width;
    T* first = padded + (c * padded_height(g) + ki) * wp + kj;
    for (Index oy = 0; oy < g.output.height; ++oy) {
        T* to = first + oy * g.window.stride.height * wp;
        const T* from = row + oy * width;
        if (sx == 1) {
            for (Index ox = 0; ox < width; ++ox) {
                to[ox] += from[ox];
            }
        } else {
            for (Index ox = 0; ox < width; ++ox) {
                to[ox * sx] += from[ox];
            }
        }
    }
}

/// Unfolds an image, already padded (pad_image, or the image itself when
/// the window has no padding), into `columns`, a row-major patch_size() x
/// positions() block: column p holds the patch under output position p, in
/// the order of the weight's columns (c, ki, kj).
template <class T>
void im2col(const WindowGeometry& g, const T* padded, T* columns) {
    const Index kh = g.window.kernel.height;
    const Index kw = g.window.kernel.width;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index ki = 0; ki < kh; ++ki) {
            for (Index kj = 0; kj < kw; ++kj) {
                unfold_tap(g, padded, c, ki, kj, columns + ((c * kh + ki) * kw + kj) * g.positions());
            }
        }
    }
}

/// The adjoint of im2col: adds each column's values into the padded
/// pixels they were read from.
template <class T>
void col2im_add(const WindowGeometry& g, const T* columns, T* padded) {
    const Index kh = g.window.kernel.height;
    const Index kw = g.window.kernel.width;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index ki = 0; ki < kh; ++ki) {
            for (Index kj = 0; kj < kw; ++kj) {
                fold_tap(g, padded, c, ki, kj, columns + ((c * kh + ki) * kw + kj) * g.positions());
            }
        }
    }
}

/// im2col and col2im for the images of one batch, with per-thread scratch
/// buffers for the padded image and the unfolded one.
template <class T>
class Unfolder {
public:
    explicit Unfolder(const WindowGeometry& g)
        : g_(g), padded_(scratch<T, padded_image_slot>(has_padding(g) ? padded_size(g) : 0)),
          columns_(scratch<T, unfolded_image_slot>(g.patch_size() * g.positions())) {}

    /// The unfolded image: patch_size() x positions().
    [[nodiscard]] Eigen::Map<Matrix<T>> columns() const { return {columns_, g_.patch_size(), g_.positions()}; }

    /// columns() = im2col(image).
    void unfold(const T* image) {
        const T* source = image;
        if (has_padding(g_)) {
            pad_image(g_, image, padded_);
            source = padded_;
        }
        im2col(g_, source, columns_);
    }

    /// image_grad = col2im(columns()), the padding's share dropped.
    void fold(T* image_grad) {
        if (!has_padding(g_)) {
            std::fill(image_grad, image_grad + g_.input.size(), T(0));
            col2im_add(g_, columns_, image_grad);
            return;
        }
        std::fill(padded_, padded_ + padded_size(g_), T(0));
        col2im_add(g_, columns_, padded_);
        unpad(g_, padded_, image_grad);
    }

private:
    const WindowGeometry& g_;
    T* padded_;
    T* columns_;
};

} // namespace fedpp::detail
