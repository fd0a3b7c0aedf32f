// fedpp: the kernels under conv2d and max_pool2d, one image at a time: the
// unfolding of an image into the columns a convolution multiplies (im2col),
// its adjoint (col2im, for the input's gradient), and the max of each
// pooling window. See fedpp/tensor/image_shape.hpp for the layout.
#pragma once

#include "fedpp/base/matrix.hpp"
#include "fedpp/tensor/image_shape.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

/// The output positions [first, last) along one axis whose input position
/// o * stride - padding + offset lies in [0, extent): the positions where a
/// kernel tap at `offset` reads the image rather than the border.
struct ValidRange {
    Index first;
    Index last;
};

inline ValidRange valid_outputs(Index extent, Index outputs, Index stride, Index padding, Index offset) noexcept {
    const Index shift = padding - offset; // the input position is o * stride - shift
    const Index first = shift <= 0 ? 0 : std::min(outputs, (shift + stride - 1) / stride);
    const Index bound = extent + shift; // o * stride < bound
    const Index last = bound <= 0 ? 0 : std::min(outputs, (bound + stride - 1) / stride);
    return {first, std::max(first, last)};
}

/// What one row of the unfolded image (input channel c, kernel tap ki, kj)
/// touches: the output rows ys and columns xs that read the image rather
/// than the border, and the input column read by output column ox,
/// ox * stride - padding + kj = ox * stride + shift_x.
struct TapRange {
    ValidRange ys;
    ValidRange xs;
    Index shift_x;
};

inline TapRange tap_range(const WindowGeometry& g, Index ki, Index kj) noexcept {
    const Window2d& w = g.window;
    return {valid_outputs(g.input.height, g.output.height, w.stride.height, w.padding.height, ki),
            valid_outputs(g.input.width, g.output.width, w.stride.width, w.padding.width, kj), kj - w.padding.width};
}

/// The first column of the input row read by output row oy for tap ki.
inline Index input_line(const WindowGeometry& g, Index c, Index ki, Index oy) noexcept {
    const Index iy = oy * g.window.stride.height - g.window.padding.height + ki;
    return (c * g.input.height + iy) * g.input.width;
}

/// Row (c, ki, kj) of the unfolded image: row[oy * Wo + ox] is
/// image(c, oy*sh - ph + ki, ox*sw - pw + kj), or 0 in the border.
template <class T>
void unfold_row(const WindowGeometry& g, Index c, Index ki, Index kj, const T* image, T* row) {
    const Index out_width = g.output.width;
    const Index stride_x = g.window.stride.width;
    const TapRange r = tap_range(g, ki, kj);
    std::fill(row, row + r.ys.first * out_width, T(0));
    std::fill(row + r.ys.last * out_width, row + g.positions(), T(0));
    for (Index oy = r.ys.first; oy < r.ys.last; ++oy) {
        T* to = row + oy * out_width;
        const Index base = input_line(g, c, ki, oy) + r.shift_x; // + ox * stride_x: the input column
        std::fill(to, to + r.xs.first, T(0));
        std::fill(to + r.xs.last, to + out_width, T(0));
        if (stride_x == 1) {
            std::copy(image + (base + r.xs.first), image + (base + r.xs.last), to + r.xs.first);
        } else {
            for (Index ox = r.xs.first; ox < r.xs.last; ++ox) {
                to[ox] = image[base + ox * stride_x];
            }
        }
    }
}

/// The adjoint of unfold_row: adds row (c, ki, kj) back into the image
/// positions it was read from.
template <class T>
void fold_row_add(const WindowGeometry& g, Index c, Index ki, Index kj, const T* row, T* image) {
    const Index out_width = g.output.width;
    const Index stride_x = g.window.stride.width;
    const TapRange r = tap_range(g, ki, kj);
    for (Index oy = r.ys.first; oy < r.ys.last; ++oy) {
        const T* from = row + oy * out_width;
        const Index base = input_line(g, c, ki, oy) + r.shift_x;
        if (stride_x == 1) {
            T* to = image + (base + r.xs.first);
            for (Index ox = r.xs.first; ox < r.xs.last; ++ox) {
                *to++ += from[ox];
            }
        } else {
            for (Index ox = r.xs.first; ox < r.xs.last; ++ox) {
                image[base + ox * stride_x] += from[ox];
            }
        }
    }
}

/// Unfolds one image (C*H*W values) into `columns`, a row-major
/// patch_size() x positions() block: column p holds the input patch under
/// output position p, in the order of the weight's columns (c, ki, kj).
template <class T>
void im2col(const WindowGeometry& g, const T* image, T* columns) {
    const Index kh = g.window.kernel.height;
    const Index kw = g.window.kernel.width;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index ki = 0; ki < kh; ++ki) {
            for (Index kj = 0; kj < kw; ++kj) {
                T* row = columns + ((c * kh + ki) * kw + kj) * g.positions();
                unfold_row(g, c, ki, kj, image, row);
            }
        }
    }
}

/// The adjoint of im2col: adds each column's values back into the image
/// positions they were read from (the input's gradient).
template <class T>
void col2im_add(const WindowGeometry& g, const T* columns, T* image) {
    const Index kh = g.window.kernel.height;
    const Index kw = g.window.kernel.width;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index ki = 0; ki < kh; ++ki) {
            for (Index kj = 0; kj < kw; ++kj) {
                const T* row = columns + ((c * kh + ki) * kw + kj) * g.positions();
                fold_row_add(g, c, ki, kj, row, image);
            }
        }
    }
}

/// Max pooling of one image: out[c, oy, ox] is the largest value in its
/// window (NaN if the window holds one), and, if `argmax` is not null,
/// argmax[c, oy, ox] is its column in the image. Ties and all-minus-infinity
/// windows go to the first position in scan order, as in PyTorch.
template <class T>
void max_pool_image(const WindowGeometry& g, const T* image, T* out, Index* argmax) {
    const Index height = g.input.height;
    const Index width = g.input.width;
    const Window2d& w = g.window;
    Index o = 0;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index oy = 0; oy < g.output.height; ++oy) {
            const Index y0 = std::max<Index>(0, oy * w.stride.height - w.padding.height);
            const Index y1 = std::min(height, oy * w.stride.height - w.padding.height + w.kernel.height);
            for (Index ox = 0; ox < g.output.width; ++ox, ++o) {
                const Index x0 = std::max<Index>(0, ox * w.stride.width - w.padding.width);
                const Index x1 = std::min(width, ox * w.stride.width - w.padding.width + w.kernel.width);
                Index best_at = (c * height + y0) * width + x0;
                T best = -std::numeric_limits<T>::infinity();
                for (Index y = y0; y < y1; ++y) {
                    for (Index x = x0; x < x1; ++x) {
                        const Index at = (c * height + y) * width + x;
                        if (image[at] > best || std::isnan(image[at])) {
                            best = image[at];
                            best_at = at;
                        }
                    }
                }
                out[o] = best;
                if (argmax != nullptr) {
                    argmax[o] = best_at;
                }
            }
        }
    }
}

} // namespace fedpp::detail
