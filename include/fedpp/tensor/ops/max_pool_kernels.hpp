// fedpp: the kernels under max_pool2d, one image at a time: the largest
// value of each window (and where it is), and, for the usual 2x2 windows
// with stride 2, the input's gradient in one pass. See
// fedpp/tensor/image_shape.hpp for the layout.
#pragma once

#include "fedpp/base/matrix.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/ops/im2col.hpp" // WindowGeometry

#include <algorithm>
#include <type_traits>

namespace fedpp::detail {

/// Whether `v` displaces `best` in a scan: PyTorch's rule, without branches.
template <class T>
inline bool displaces(T v, T best) noexcept {
    return (v > best) | (v != v);
}

/// The largest value of one window (rows [y0, y1), columns [x0, x1) of
/// channel c) and its column in the image: the first in scan order among
/// equals, a NaN if there is one (PyTorch's rule: take v if v > best or v is
/// NaN). Written without branches on the values, which are unpredictable.
template <class T>
void window_max(const T* image, Index line_width, Index first, Index rows, Index cols, T& best, Index& best_at) {
    best = image[first];
    best_at = first;
    for (Index y = 0; y < rows; ++y) {
        const Index line = first + y * line_width;
        for (Index x = (y == 0 ? 1 : 0); x < cols; ++x) {
            const T v = image[line + x];
            const bool take = displaces(v, best);
            best = take ? v : best;
            best_at = take ? line + x : best_at;
        }
    }
}

/// The value window_max's rule picks in a 2x2 window (a, b its first row,
/// c, d its second, in scan order), and in `at` its position, 0 to 3, kept
/// as a T so that it fills vectors of the same width as the values.
template <class T>
inline T pick_2x2(T a, T b, T c, T d, T& at) noexcept {
    T best = a;
    at = T(0);
    bool take = displaces(b, best);
    best = take ? b : best;
    at = take ? T(1) : at;
    take = displaces(c, best);
    best = take ? c : best;
    at = take ? T(2) : at;
    take = displaces(d, best);
    at = take ? T(3) : at;
    return take ? d : best;
}

/// Outputs [first, first + N) of a row of 2x2 pooling with stride 2 and no
/// padding (rows r0 and r1 of the image start at its column `line`), by
/// window_max's rule. N is a compile-time count, so that the compiler turns
/// the loop into a few vector operations.
template <int N, class T>
void max_pool_2x2_outputs(const T* image, Index line, Index width, Index first, T* out) {
    const T* r0 = image + line;
    const T* r1 = r0 + width;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1 // unrolled first, GCC 12 no longer vectorises it
#endif
    for (Index ox = first; ox < first + N; ++ox) {
        const Index x = 2 * ox;
        T at;
        out[ox] = pick_2x2(r0[x], r0[x + 1], r1[x], r1[x + 1], at);
    }
}

/// The input gradient of outputs [first, first + N) of such a row: each
/// window's gradient goes to the value max_pool_2x2_outputs picks, zero to
/// the window's other three. The windows do not overlap, so each covered
/// value is set, not added into: no scatter, and no zeroing first. The
/// gradient is stored as 0 + g, as a zeroed gradient that g is added into
/// would hold (a -0 arrives as +0, as in PyTorch's).
template <int N, class T>
void max_pool_2x2_gradients(const T* image, Index line, Index width, Index first, const T* gradient,
                            T* input_gradient) {
    const T* r0 = image + line;
    const T* r1 = r0 + width;
    T* g0 = input_gradient + line;
    T* g1 = g0 + width;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1 // unrolled first, GCC 12 no longer vectorises it
#endif
    for (Index ox = first; ox < first + N; ++ox) {
        const Index x = 2 * ox;
        T at;
        pick_2x2(r0[x], r0[x + 1], r1[x], r1[x + 1], at);
        const T g = T(0) + gradient[ox];
        g0[x] = at == T(0) ? g : T(0);
        g0[x + 1] = at == T(1) ? g : T(0);
        g1[x] = at == T(2) ? g : T(0);
        g1[x + 1] = at == T(3) ? g : T(0);
    }
}

/// Calls `outputs_from(first, chunk)` over a row of `outputs` outputs in
/// chunks of a compile-time size: 8 or 4 (the last chunk moved back to end
/// at the row's end, overlapping the one before: the kernels write the
/// same values twice), or 1 for rows of fewer than 4. Rows are short in
/// CNNs (14 and 7 outputs in the MNIST CNN), and a loop over them would
/// spend most of its time in its scalar remainder.
template <class Kernel>
void in_chunks(Index outputs, Kernel&& outputs_from) {
    const auto chunks = [&]<int N>(std::integral_constant<int, N> chunk) {
        for (Index first = 0; first < outputs; first += N) {
            outputs_from(std::min(first, outputs - N), chunk);
        }
    };
    if (outputs >= 8) {
        chunks(std::integral_constant<int, 8>());
    } else if (outputs >= 4) {
        chunks(std::integral_constant<int, 4>());
    } else {
        chunks(std::integral_constant<int, 1>());
    }
}

/// One output row of 2x2 pooling with stride 2 and no padding, the usual case.
template <class T>
void max_pool_2x2_row(const T* image, Index line, Index width, Index outputs, T* out) {
    in_chunks(outputs, [&]<int N>(Index first, std::integral_constant<int, N>) {
        max_pool_2x2_outputs<N>(image, line, width, first, out);
    });
}

/// The input gradient of one output row of 2x2 pooling with stride 2 and no
/// padding (see max_pool_2x2_gradients).
template <class T>
void max_pool_2x2_gradient_row(const T* image, Index line, Index width, Index outputs, const T* gradient,
                               T* input_gradient) {
    in_chunks(outputs, [&]<int N>(Index first, std::integral_constant<int, N>) {
        max_pool_2x2_gradients<N>(image, line, width, first, gradient, input_gradient);
    });
}

/// Whether a pooling window is the usual 2x2 with stride 2 and no padding.
inline bool is_pool_2x2(const Window2d& w) noexcept {
    return w.kernel == Size2(2) && w.stride == Size2(2) && w.padding == Size2(0);
}

/// The input gradient of one image's 2x2 pooling (is_pool_2x2): see
/// max_pool_2x2_gradient_row; a last row or column no window covers (an odd
/// height or width) gets zero.
template <class T>
void max_pool_2x2_gradient_image(const WindowGeometry& g, const T* image, const T* gradient, T* input_gradient) {
    const Index width = g.input.width;
    if (g.input.height % 2 != 0 || width % 2 != 0) {
        std::fill(input_gradient, input_gradient + g.input.size(), T(0));
    }
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index oy = 0; oy < g.output.height; ++oy) {
            const Index o = (c * g.output.height + oy) * g.output.width;
            const Index line = (c * g.input.height + 2 * oy) * width;
            max_pool_2x2_gradient_row(image, line, width, g.output.width, gradient + o, input_gradient);
        }
    }
}

/// Max pooling of one image: out[c, oy, ox] is the largest value in its
/// window (see window_max) and, if `argmax` is not null, argmax[c, oy, ox]
/// is its column in the image. Padded positions are never read.
template <class T>
void max_pool_image(const WindowGeometry& g, const T* image, T* out, Index* argmax) {
    const Index height = g.input.height;
    const Index width = g.input.width;
    const Window2d& w = g.window;
    if (is_pool_2x2(w) && argmax == nullptr) {
        for (Index c = 0; c < g.input.channels; ++c) {
            for (Index oy = 0; oy < g.output.height; ++oy) {
                const Index o = (c * g.output.height + oy) * g.output.width;
                max_pool_2x2_row(image, (c * height + 2 * oy) * width, width, g.output.width, out + o);
            }
        }
        return;
    }
    Index o = 0;
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index oy = 0; oy < g.output.height; ++oy) {
            const Index y0 = std::max<Index>(0, oy * w.stride.height - w.padding.height);
            const Index y1 = std::min(height, oy * w.stride.height - w.padding.height + w.kernel.height);
            for (Index ox = 0; ox < g.output.width; ++ox, ++o) {
                const Index x0 = std::max<Index>(0, ox * w.stride.width - w.padding.width);
                const Index x1 = std::min(width, ox * w.stride.width - w.padding.width + w.kernel.width);
                Index at = 0;
                window_max(image, width, (c * height + y0) * width + x0, y1 - y0, x1 - x0, out[o], at);
                if (argmax != nullptr) {
                    argmax[o] = at;
                }
            }
        }
    }
}

} // namespace fedpp::detail
