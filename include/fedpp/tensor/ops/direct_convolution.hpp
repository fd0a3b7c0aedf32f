// fedpp: convolutions with stride 1 computed straight from the padded
// images, vectorised along the channels: conv2d's forward pass, its weight's
// gradient and its input's gradient.
//
// conv2d's general path unfolds each image (im2col: C*kh*kw copies of it)
// and hands the product to a GEMM, which copies ("packs") both operands
// again; the input's gradient adds the unfolded gradient back into the image
// (col2im). Here, for stride 1, output position p = (y, x) of channel o is
//
//   out[o][p] = sum over taps (c, i, j) of image[c][y + i][x + j] * wt[(c, i, j)][o]
//
// with `image` padded and `wt` the weight transposed, so that a row of wt
// holds one tap's weights for every output channel, contiguously: a tile
// keeps a few positions times a few packets of output channels of sums in
// registers, and each tap costs one broadcast of a pixel per position and
// one load per packet of weights; nothing is unfolded or packed. The same
// kernel, with positions and taps swapped and the output's gradient
// transposed in place of wt, gives the weight's gradient; the input's
// gradient is a convolution of the output's gradient (padded by kernel - 1 -
// padding) with the weight flipped and its channels swapped. The tiles store
// their sums transposed, into the channel-major images (image_shape.hpp).
// Written with Eigen 3.4's packet functions, like base/skinny_product.hpp;
// direct_sums_pay says where it is used.
#pragma once

#include "fedpp/base/matrix.hpp"
#include "fedpp/base/simd_packets.hpp"
#include "fedpp/base/transpose.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/ops/im2col.hpp"

#include <algorithm>
#include <cstddef>

namespace fedpp::detail {

/// Packets of output channels a tile holds: 4 where the ISA has 32 vector
/// registers (AVX-512, NEON on AArch64), 2 where it has 16.
inline constexpr int direct_tile_max_packets = simd_registers >= 32 ? 4 : 2;

/// Positions of a tile with `packets` packets of channels: as many as the
/// registers left for sums hold (besides the weights' packets and a
/// broadcast pixel), at most 12.
constexpr int direct_tile_positions(int packets) {
    return std::min(12, (simd_registers - packets - 2) / packets);
}

/// Whether sums of `count` terms into `columns` columns (output channels)
/// are computed here rather than by unfolding and a matrix product. A
/// structural rule, from the ISA and the caches, not tuned on one CPU:
/// - vectors of 256 bits or wider with fused multiply-adds (x86-64-v3 and
///   up): with SSE2's, without FMA, the kernel ran at 30-37 GFLOP/s against
///   100-160 for OpenBLAS's run-time kernels, so other builds keep
///   unfolding;
/// - whole packets of columns;
/// - at least 4 packets' worth of terms, so that the tile's transposed
///   stores (a scalar per sum) stay a small part of its work;
/// - the slice of wt one pass over the rows reads (count x the columns of
///   a tile) in a quarter of the level-2 cache, where it stays while every
///   tile of rows reads it again (a 3x3 layer of 256 channels, 2.3 MB of
///   weights, ran 2.4x slower than unfolded without this).
template <class T>
[[nodiscard]] bool direct_sums_pay(Index count, Index columns) noexcept {
    constexpr Index width = simd_packet_size<T>;
    if (!wide_packets<T> || !simd_fused_multiply_add || columns <= 0 || columns % width != 0 ||
        count < 4 * width) {
        return false;
    }
    const auto pass_columns = static_cast<std::size_t>(std::min<Index>(columns, direct_tile_max_packets * width));
    return static_cast<std::size_t>(count) * pass_columns * sizeof(T) <= kernel_level2_bytes() / 4;
}

/// Whether conv2d's output (forward) is computed here: stride 1, and
/// direct_sums_pay for the window's taps into the output channels.
template <class T>
[[nodiscard]] bool direct_convolution_applies(const WindowGeometry& g) noexcept {
    return g.window.stride == Size2(1) && direct_sums_pay<T>(g.patch_size(), g.output.channels);
}

/// Whether conv2d's weight gradient is computed here: stride 1, and
/// direct_sums_pay for the output positions into the output channels.
template <class T>
[[nodiscard]] bool direct_weight_gradient_applies(const WindowGeometry& g) noexcept {
    return g.window.stride == Size2(1) && direct_sums_pay<T>(g.positions(), g.output.channels);
}

/// The geometry of conv2d's input gradient as a convolution: the output's
/// gradient (g.output) padded by kernel - 1 - padding, giving images of
/// g.input's shape. Only for stride 1 and a padding below the kernel.
inline WindowGeometry input_gradient_geometry(const WindowGeometry& g) noexcept {
    const Size2 kernel = g.window.kernel;
    const Size2 padding{kernel.height - 1 - g.window.padding.height, kernel.width - 1 - g.window.padding.width};
    return {g.output, g.input, Window2d{kernel, Size2(1), padding}};
}

/// Whether conv2d's input gradient is computed here: stride 1, a padding
/// below the kernel, and direct_sums_pay for the output channels' taps
/// into the input channels.
template <class T>
[[nodiscard]] bool direct_input_gradient_applies(const WindowGeometry& g) noexcept {
    return g.window.stride == Size2(1) && g.window.padding.height < g.window.kernel.height &&
           g.window.padding.width < g.window.kernel.width &&
           direct_sums_pay<T>(g.output.channels * g.window.kernel.height * g.window.kernel.width, g.input.channels);
}

/// Where direct_sums puts its sums: stored transposed, out[o][r] (a channel-major
/// image), or added to out[r][o] in packets (a sum over images, transposed at the end).
enum class SumsOutput : bool { transposed, added };

/// One tile of N rows of sums: for n < N and o < P * packet,
///   sum[n][o] = the sum over t < count of padded[starts[n] + offsets[t]] * wt[t * ld + o],
/// stored transposed, out[o * ldo + n] = sum[n][o], or added, out[n * ldo + o] += sum[n][o].
/// With starts the windows' first pixels and offsets the taps', it is a
/// convolution (row n is output position n, out the channel-major image);
/// with the two swapped and wt the output's gradient transposed, the
/// weight's gradient (row n is tap n). One loop over t, so that the sums
/// stay in registers throughout.
template <int P, int N, class T>
void direct_sums_tile(const T* padded, const Index* starts, const Index* offsets, Index count, const T* wt,
                      Index ld, T* out, Index ldo, SumsOutput output) {
    using Packet = SimdPacket<T>;
    constexpr Index width = simd_packet_size<T>;
    namespace ei = Eigen::internal;
    Packet sum[N][P];
    for (int n = 0; n < N; ++n) {
        for (int p = 0; p < P; ++p) {
            sum[n][p] = ei::pset1<Packet>(T(0));
        }
    }
    const T* window[N];
    for (int n = 0; n < N; ++n) {
        window[n] = padded + starts[n];
    }
    for (Index t = 0; t < count; ++t, wt += ld) {
        const Index offset = offsets[t];
        Packet weights[P];
        for (int p = 0; p < P; ++p) {
            weights[p] = ei::ploadu<Packet>(wt + p * width);
        }
        for (int n = 0; n < N; ++n) {
            const Packet pixel = ei::pset1<Packet>(window[n][offset]);
            for (int p = 0; p < P; ++p) {
                sum[n][p] = ei::pmadd(pixel, weights[p], sum[n][p]);
            }
        }
    }
    if (output == SumsOutput::added) {
        for (int n = 0; n < N; ++n) {
            for (int p = 0; p < P; ++p) {
                T* to = out + n * ldo + p * width;
                ei::pstoreu(to, ei::padd(ei::ploadu<Packet>(to), sum[n][p]));
            }
        }
        return;
    }
    // N x P * width sums into P * width runs of N values: a few hundred
    // scalar stores against count * N * P multiply-adds.
    T values[N][P * width];
    for (int n = 0; n < N; ++n) {
        for (int p = 0; p < P; ++p) {
            ei::pstoreu(values[n] + p * width, sum[n][p]);
        }
    }
    for (Index o = 0; o < P * width; ++o) {
        T* to = out + o * ldo;
        for (int n = 0; n < N; ++n) {
            to[n] = values[n][o];
        }
    }
}

/// direct_sums for P packets of columns, every row, N rows at a time, into out
/// as direct_sums_tile puts them (row r at out + r * ldo if added, else out + r).
template <int P, class T>
void direct_sums_columns(const T* padded, const Index* starts, Index rows, const Index* offsets, Index count,
                         const T* wt, Index ld, T* out, Index ldo, SumsOutput output) {
    constexpr int N = direct_tile_positions(P);
    const Index row_step = output == SumsOutput::added ? ldo : 1;
    Index r = 0;
    for (; r + N <= rows; r += N) {
        direct_sums_tile<P, N>(padded, starts + r, offsets, count, wt, ld, out + r * row_step, ldo, output);
    }
    if constexpr (N > 4) { // what is left, in fewer passes over wt
        for (; r + 4 <= rows; r += 4) {
            direct_sums_tile<P, 4>(padded, starts + r, offsets, count, wt, ld, out + r * row_step, ldo, output);
        }
    }
    for (; r < rows; ++r) {
        direct_sums_tile<P, 1>(padded, starts + r, offsets, count, wt, ld, out + r * row_step, ldo, output);
    }
}

/// The sums of direct_sums_tile for every row, sum[r][o] = the sum over t
/// of padded[starts[r] + offsets[t]] * wt[t][o], wt being count x columns:
/// stored transposed into out (columns x rows, row-major), or added to out
/// (rows x columns). `columns` must be whole packets.
template <class T>
void direct_sums(const T* padded, const Index* starts, Index rows, const Index* offsets, Index count, const T* wt,
                 Index columns, T* out, SumsOutput output) {
    constexpr Index width = simd_packet_size<T>;
    constexpr int most = direct_tile_max_packets;
    const Index packets = columns / width;
    const bool added = output == SumsOutput::added;
    const Index ldo = added ? columns : rows;   // from a sum to the next column's
    const Index packet_step = added ? 1 : rows; // from a column to the next
    Index packet = 0;
    for (; packet + most <= packets; packet += most) {
        direct_sums_columns<most>(padded, starts, rows, offsets, count, wt + packet * width, columns,
                                  out + packet * width * packet_step, ldo, output);
    }
    if constexpr (most > 2) {
        for (; packet + 2 <= packets; packet += 2) {
            direct_sums_columns<2>(padded, starts, rows, offsets, count, wt + packet * width, columns,
                                   out + packet * width * packet_step, ldo, output);
        }
    }
    for (; packet < packets; ++packet) {
        direct_sums_columns<1>(padded, starts, rows, offsets, count, wt + packet * width, columns,
                               out + packet * width * packet_step, ldo, output);
    }
}

/// Where each output position's window starts in the padded image (its
/// first pixel, channel 0), in output order: positions() values, in a
/// per-thread buffer.
inline const Index* window_starts(const WindowGeometry& g) {
    Index* starts = scratch<Index, window_starts_slot>(g.positions());
    for (Index y = 0; y < g.output.height; ++y) {
        for (Index x = 0; x < g.output.width; ++x) {
            starts[y * g.output.width + x] = y * padded_width(g) + x;
        }
    }
    return starts;
}

/// Where tap (c, i, j) of a window is, from the window's first pixel:
/// c * plane + i * padded width + j, in the weight's column order:
/// patch_size() values, in a per-thread buffer.
inline const Index* window_taps(const WindowGeometry& g) {
    const Index wp = padded_width(g);
    const Index plane = padded_height(g) * wp;
    Index* taps = scratch<Index, window_taps_slot>(g.patch_size());
    for (Index c = 0; c < g.input.channels; ++c) {
        for (Index i = 0; i < g.window.kernel.height; ++i) {
            for (Index j = 0; j < g.window.kernel.width; ++j) {
                taps[(c * g.window.kernel.height + i) * g.window.kernel.width + j] = c * plane + i * wp + j;
            }
        }
    }
    return taps;
}

/// The transposed weight of conv2d's input gradient: row (o, i, j), column
/// c holds weight[o][(c, kh-1-i, kw-1-j)], the kernel flipped and its
/// channels swapped. `weight` is O x (C*kh*kw).
template <class T>
void flipped_weight(const WindowGeometry& g, const Matrix<T>& weight, T* wt) {
    const Index kh = g.window.kernel.height;
    const Index kw = g.window.kernel.width;
    const Index channels = g.input.channels;
    for (Index o = 0; o < g.output.channels; ++o) {
        for (Index i = 0; i < kh; ++i) {
            for (Index j = 0; j < kw; ++j) {
                T* row = wt + ((o * kh + i) * kw + j) * channels;
                for (Index c = 0; c < channels; ++c) {
                    row[c] = weight(o, (c * kh + (kh - 1 - i)) * kw + (kw - 1 - j));
                }
            }
        }
    }
}

/// Image n of `batch` padded into `padded` (g.input's shape), or the image
/// itself if the window has no padding.
template <class T>
const T* padded_image(const WindowGeometry& g, const Matrix<T>& batch, Index n, T* padded) {
    const T* image = batch.data() + n * batch.cols();
    if (!has_padding(g)) {
        return image;
    }
    pad_image(g, image, padded);
    return padded;
}

/// out = conv2d(x, weight, bias), one image (row of x and out) at a time
/// (direct_convolution_applies must hold).
template <class T>
void direct_conv2d(const WindowGeometry& g, const Matrix<T>& x, const Matrix<T>& weight, const Matrix<T>& bias,
                   Matrix<T>& out) {
    const Index positions = g.positions();
    const Index channels = g.output.channels;
    T* wt = scratch<T, convolution_weight_slot>(weight.size());
    transpose_into(weight.data(), weight.rows(), weight.cols(), wt);
    T* padded = scratch<T, padded_image_slot>(has_padding(g) ? padded_size(g) : 0);
    const Index* starts = window_starts(g);
    const Index* taps = window_taps(g);
    for (Index n = 0; n < x.rows(); ++n) {
        T* y = out.data() + n * out.cols();
        direct_sums(padded_image(g, x, n, padded), starts, positions, taps, g.patch_size(), wt,
                    channels, y, SumsOutput::transposed);
        Eigen::Map<Matrix<T>>(y, channels, positions).colwise() += bias.row(0).transpose();
    }
}

/// input_grad = the gradient of conv2d's input, given its output's
/// gradient (direct_input_gradient_applies must hold): every row is written.
template <class T>
void direct_conv2d_input_gradient(const WindowGeometry& g, const Matrix<T>& out_grad, const Matrix<T>& weight,
                                  Matrix<T>& input_grad) {
    const WindowGeometry full = input_gradient_geometry(g);
    T* wt = scratch<T, convolution_weight_slot>(weight.size());
    flipped_weight(g, weight, wt);
    T* padded = scratch<T, padded_gradient_slot>(has_padding(full) ? padded_size(full) : 0);
    const Index* starts = window_starts(full);
    const Index* taps = window_taps(full);
    for (Index n = 0; n < out_grad.rows(); ++n) {
        direct_sums(padded_image(full, out_grad, n, padded), starts, full.positions(), taps,
                    full.patch_size(), wt, full.output.channels, input_grad.data() + n * input_grad.cols(),
                    SumsOutput::transposed);
    }
}

/// weight_grad = the gradient of conv2d's weight, given its input and its
/// output's gradient (direct_weight_gradient_applies must hold): the sum over
/// images of G_n X_n^T, with the taps as the tiles' rows and the output
/// positions as the terms of each sum. The sums are added up taps x channels,
/// in packets, and transposed once at the end (added transposed, value by
/// value, they had taken 6-7% of the MNIST CNN's second layer's).
template <class T>
void direct_conv2d_weight_gradient(const WindowGeometry& g, const Matrix<T>& x, const Matrix<T>& out_grad,
                                   Matrix<T>& weight_grad) {
    const Index positions = g.positions();
    const Index channels = g.output.channels;
    const Index tap_count = g.patch_size();
    T* sums = scratch<T, weight_gradient_slot>(tap_count * channels);
    std::fill(sums, sums + tap_count * channels, T(0));
    T* grad_t = scratch<T, transposed_gradient_slot>(positions * channels);
    T* padded = scratch<T, padded_image_slot>(has_padding(g) ? padded_size(g) : 0);
    const Index* starts = window_starts(g);
    const Index* taps = window_taps(g);
    for (Index n = 0; n < x.rows(); ++n) {
        transpose_into(out_grad.data() + n * out_grad.cols(), channels, positions, grad_t);
        direct_sums(padded_image(g, x, n, padded), taps, tap_count, starts, positions, grad_t, channels, sums,
                    SumsOutput::added);
    }
    weight_grad.resize(channels, tap_count);
    transpose_into(sums, tap_count, channels, weight_grad.data());
}

} // namespace fedpp::detail
