// fedpp: matrix products whose result has few rows (a small batch through a
// large layer: x W^T forward, dY W backward), with the large operand read
// once, as it is stored.
//
// A general GEMM (Eigen's or a BLAS's) first copies ("packs") both operands
// into blocks laid out for its kernel, and pays for that by reusing each
// packed block across many rows of the result. With at most 16 rows there
// is little to reuse: for a weight larger than the level-2 cache the packing
// is a second pass over memory (and a third, reading the copy back), in a
// product that is bound by reading the weight once. These kernels read it in
// place, in blocks sized from the caches the machine reports. They are
// written with Eigen 3.4's packet functions (Eigen::internal::ploadu, pmadd,
// predux, ...), so they vectorise for whatever ISA Eigen does, and fall back
// to scalars where it does not (EIGEN_DONT_VECTORIZE).
#pragma once

#include "fedpp/base/cache_sizes.hpp"
#include "fedpp/base/matrix.hpp"
#include "fedpp/base/simd_packets.hpp"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace fedpp::detail {

/// Products with at most this many result rows may take the kernels below.
inline constexpr Index skinny_product_max_rows = 16;

/// The large operand's size from which packing it costs more than it saves:
/// half of the level-2 cache. Smaller operands stay in the cache, where
/// packing is cheap and the general kernels are faster.
inline std::size_t skinny_product_min_operand_bytes() noexcept {
    return kernel_level2_bytes() / 2;
}

/// Whether an m x n result with inner dimension k is computed by the
/// kernels below (`blas_alternative`: the product would otherwise go to a
/// BLAS, which picks its kernel for the CPU at run time, and which narrow
/// packets leave it).
template <class T>
[[nodiscard]] inline bool product_is_skinny(Index m, Index n, Index k, bool blas_alternative) noexcept {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if ((blas_alternative && !wide_packets<T>) || m <= 0 || m > skinny_product_max_rows || n <= 0 || k <= 0) {
        return false;
    }
    const auto operand_bytes = static_cast<std::size_t>(n) * static_cast<std::size_t>(k) * sizeof(T);
    return operand_bytes >= skinny_product_min_operand_bytes();
}

/// The rows of the result computed together: each tile keeps R x 2 packets
/// of sums in registers, with the operands' packets beside them (8 rows
/// where the ISA has 32 vector registers, as AVX-512 and NEON on AArch64;
/// 6 where it has 16).
inline constexpr int skinny_tile_rows = simd_registers >= 32 ? 8 : 6;

/// C columns of R rows of y (+)= the dot products of a's R rows with C rows
/// of b (all read along k).
template <int R, int C, class T>
void skinny_nt_columns(const T* a, Index lda, const T* b, Index ldb, T* y, Index ldy, Index k, bool add) {
    using Packet = SimdPacket<T>;
    constexpr Index width = simd_packet_size<T>;
    namespace ei = Eigen::internal;
    Packet sum[C][R];
    for (int c = 0; c < C; ++c) {
        for (int r = 0; r < R; ++r) {
            sum[c][r] = ei::pset1<Packet>(T(0));
        }
    }
    Index t = 0;
    for (; t + width <= k; t += width) {
        Packet w[C];
        for (int c = 0; c < C; ++c) {
            w[c] = ei::ploadu<Packet>(b + c * ldb + t);
        }
        for (int r = 0; r < R; ++r) {
            const Packet x = ei::ploadu<Packet>(a + r * lda + t);
            for (int c = 0; c < C; ++c) {
                sum[c][r] = ei::pmadd(x, w[c], sum[c][r]);
            }
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) {
            T dot = ei::predux(sum[c][r]);
            for (Index u = t; u < k; ++u) {
                dot += a[r * lda + u] * b[c * ldb + u];
            }
            T& out = y[r * ldy + c];
            out = add ? out + dot : dot;
        }
    }
}

/// y (R rows) (+)= a (R x k) * b^T, b being n rows of k (row-major, so both
/// read along k), two rows of b at a time.
template <int R, class T>
void skinny_tile_nt(const T* a, Index lda, const T* b, Index ldb, T* y, Index ldy, Index n, Index k, bool add) {
    Index j = 0;
    for (; j + 2 <= n; j += 2) {
        skinny_nt_columns<R, 2>(a, lda, b + j * ldb, ldb, y + j, ldy, k, add);
    }
    if (j < n) {
        skinny_nt_columns<R, 1>(a, lda, b + j * ldb, ldb, y + j, ldy, k, add);
    }
}

/// P packets of columns of R rows of y (+)= g (R x k) * the same columns of
/// w (k rows, read along them).
template <int R, int P, class T>
void skinny_nn_packets(const T* g, Index ldg, const T* w, Index ldw, T* y, Index ldy, Index k, bool add) {
    using Packet = SimdPacket<T>;
    constexpr Index width = simd_packet_size<T>;
    namespace ei = Eigen::internal;
    Packet sum[P][R];
    for (int p = 0; p < P; ++p) {
        for (int r = 0; r < R; ++r) {
            sum[p][r] = add ? ei::ploadu<Packet>(y + r * ldy + p * width) : ei::pset1<Packet>(T(0));
        }
    }
    for (Index j = 0; j < k; ++j) {
        Packet row[P];
        for (int p = 0; p < P; ++p) {
            row[p] = ei::ploadu<Packet>(w + j * ldw + p * width);
        }
        for (int r = 0; r < R; ++r) {
            const Packet factor = ei::pset1<Packet>(g[r * ldg + j]);
            for (int p = 0; p < P; ++p) {
                sum[p][r] = ei::pmadd(factor, row[p], sum[p][r]);
            }
        }
    }
    for (int p = 0; p < P; ++p) {
        for (int r = 0; r < R; ++r) {
            ei::pstoreu(y + r * ldy + p * width, sum[p][r]);
        }
    }
}

/// y (R rows) (+)= g (R x k) * w (k x n, row-major): two packets of columns
/// at a time, then one, then the last columns (fewer than a packet) reading
/// each row of w along them.
template <int R, class T>
void skinny_tile_nn(const T* g, Index ldg, const T* w, Index ldw, T* y, Index ldy, Index n, Index k, bool add) {
    constexpr Index width = simd_packet_size<T>;
    Index c = 0;
    for (; c + 2 * width <= n; c += 2 * width) {
        skinny_nn_packets<R, 2>(g, ldg, w + c, ldw, y + c, ldy, k, add);
    }
    if (c + width <= n) {
        skinny_nn_packets<R, 1>(g, ldg, w + c, ldw, y + c, ldy, k, add);
        c += width;
    }
    if (c == n) {
        return;
    }
    if (!add) {
        for (int r = 0; r < R; ++r) {
            std::fill(y + r * ldy + c, y + r * ldy + n, T(0));
        }
    }
    for (Index j = 0; j < k; ++j) {
        for (int r = 0; r < R; ++r) {
            const T factor = g[r * ldg + j];
            for (Index u = c; u < n; ++u) {
                y[r * ldy + u] += factor * w[j * ldw + u];
            }
        }
    }
}

template <class T>
using SkinnyTileFunction = void (*)(const T*, Index, const T*, Index, T*, Index, Index, Index, bool);

/// The right operand as the kernels read it: b^T (n rows of k: x W^T) or w
/// (k rows of n: dY W).
enum class SkinnyRight { transposed, plain };

template <SkinnyRight Right, int R, class T>
void skinny_tile(const T* left, Index ld_left, const T* right, Index ld_right, T* y, Index ldy, Index n, Index k,
                 bool add) {
    if constexpr (Right == SkinnyRight::transposed) {
        skinny_tile_nt<R>(left, ld_left, right, ld_right, y, ldy, n, k, add);
    } else {
        skinny_tile_nn<R>(left, ld_left, right, ld_right, y, ldy, n, k, add);
    }
}

/// The tile for `rows` (1 to skinny_tile_rows) rows of the result.
template <SkinnyRight Right, class T, int... R>
constexpr SkinnyTileFunction<T> skinny_tile_for(int rows, std::integer_sequence<int, R...>) noexcept {
    constexpr SkinnyTileFunction<T> tiles[] = {&skinny_tile<Right, R + 1, T>...};
    return tiles[rows - 1];
}

/// The kernels' loop: blocks of `block` of k, and in each the tiles of rows.
template <SkinnyRight Right, class T>
void skinny_product(const T* left, Index ld_left, const T* right, Index ld_right, T* y, Index ldy, Index m, Index n,
                    Index k, bool accumulate, Index block) {
    if (m <= 0 || n <= 0) {
        return;
    }
    if (k == 0 && !accumulate) { // an empty sum
        for (Index r = 0; r < m; ++r) {
            std::fill(y + r * ldy, y + r * ldy + n, T(0));
        }
    }
    // One of k moves along a row of b^T, or down a row of w.
    const Index right_step = Right == SkinnyRight::transposed ? 1 : ld_right;
    for (Index k0 = 0; k0 < k; k0 += block) {
        const Index depth = std::min(block, k - k0);
        for (Index r = 0; r < m; r += skinny_tile_rows) {
            const int rows = static_cast<int>(std::min<Index>(skinny_tile_rows, m - r));
            const auto tile = skinny_tile_for<Right, T>(rows, std::make_integer_sequence<int, skinny_tile_rows>{});
            tile(left + r * ld_left + k0, ld_left, right + k0 * right_step, ld_right, y + r * ldy, ldy, n, depth,
                 accumulate || k0 > 0);
        }
    }
}

/// How many of k the nt kernel takes at a time: a tile's rows of `a` fill
/// at most half of the level-1 data cache (32 KiB assumed where none is
/// reported), and the n x block slice of b they meet at most half of the
/// level-2 cache, so that the next tile of rows finds it there. At least 64.
template <class T>
[[nodiscard]] inline Index skinny_nt_block(Index n) noexcept {
    const std::size_t level1 = level1_data_cache_bytes();
    const std::size_t level1_share = (level1 != 0 ? level1 : std::size_t{32} << 10) / 2;
    const std::size_t level2_share = skinny_product_min_operand_bytes();
    const std::size_t block = std::min(level1_share / (skinny_tile_rows * sizeof(T)),
                                       level2_share / (static_cast<std::size_t>(std::max<Index>(n, 1)) * sizeof(T)));
    return std::max<Index>(64, static_cast<Index>(block) / 64 * 64);
}

/// How many rows of w the nn kernel takes at a time: an eighth of the
/// level-2 cache, at least 4 rows.
/// Short blocks pay off even for one tile of rows: the lines of w that a
/// column strip loads beside its own stay in the level-1 cache for the next
/// strip (measured: 216 us for 64 rows a block, 317 us for all 512, for one
/// row through the CNN's 512 x 3136 weight on AVX-512).
template <class T>
[[nodiscard]] inline Index skinny_nn_block(Index n) noexcept {
    const std::size_t row_bytes = static_cast<std::size_t>(std::max<Index>(n, 1)) * sizeof(T);
    return std::max<Index>(4, static_cast<Index>(kernel_level2_bytes() / 8 / row_bytes));
}

/// y (m x n) = a (m x k) * b^T (accumulate: y +=), b being n x k row-major:
/// forward x W^T. Blocks of k (`block`; skinny_nt_block(n) by default) keep
/// a tile's rows of `a` in the level-1 cache; the block of b they meet is
/// read from memory by the first tile and from the level-2 cache by the
/// others.
template <class T>
void skinny_product_nt(const T* a, Index lda, const T* b, Index ldb, T* y, Index ldy, Index m, Index n, Index k,
                       bool accumulate, Index block = 0) {
    skinny_product<SkinnyRight::transposed>(a, lda, b, ldb, y, ldy, m, n, k, accumulate,
                                            block > 0 ? block : skinny_nt_block<T>(n));
}

/// y (m x n) = g (m x k) * w (accumulate: y +=), w being k x n row-major:
/// backward dY W. Blocks of w's rows (`block`; skinny_nn_block(n) by
/// default) stay in the level-2 cache while every tile of rows passes over
/// them.
template <class T>
void skinny_product_nn(const T* g, Index ldg, const T* w, Index ldw, T* y, Index ldy, Index m, Index n, Index k,
                       bool accumulate, Index block = 0) {
    skinny_product<SkinnyRight::plain>(g, ldg, w, ldw, y, ldy, m, n, k, accumulate,
                                       block > 0 ? block : skinny_nn_block<T>(n));
}

} // namespace fedpp::detail
