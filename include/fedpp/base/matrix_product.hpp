// fedpp: the one place fedpp multiplies matrices (dest = lhs * rhs, or
// dest += lhs * rhs). A result of a few rows with a large operand (a small
// batch through a large layer) takes fedpp's own kernels, which read that
// operand once, in place (base/skinny_product.hpp). Other products large
// enough to profit go to the BLAS library fedpp was built with
// (cblas_sgemm / cblas_dgemm; CMake's FEDPP_USE_BLAS, on by default when
// OpenBLAS is found), small ones stay on Eigen's kernel, whose call costs
// less. Without a BLAS every other product is Eigen's, and so it is where
// the BLAS's kernels are narrower than Eigen's (blas_kernels_usable).
#pragma once

#include "fedpp/base/matrix.hpp"
#include "fedpp/base/skinny_product.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <type_traits>

#if defined(FEDPP_HAS_CBLAS)
#include <cblas.h>
#endif

namespace fedpp::detail {

/// Products of at least this many multiply-adds (m * n * k) go to the BLAS.
/// Below it stay a small model's steps (a batch of 10 through a 784 x 200
/// layer is 1.6 M), where a BLAS call's set-up weighs most: OpenBLAS was 20%
/// slower than Eigen's kernel there on Intel. Above it (a batch of 256
/// through that layer is 40 M) OpenBLAS was as fast as Eigen on Intel and up
/// to 25% faster on AMD (benchmarks/NOTES.md, section 4).
inline constexpr Index blas_product_threshold = Index{1} << 22;

/// Whether fedpp was built with a BLAS for its large products.
inline constexpr bool has_blas_products =
#if defined(FEDPP_HAS_CBLAS)
    true;
#else
    false;
#endif

/// Whether OpenBLAS's kernels for the core it names (openblas_get_corename,
/// any case) are older than AVX2 with FMA: the x86 cores of OpenBLAS 0.3
/// before Haswell (and AMD's before Excavator), "Unknown", and a generic
/// build's plain C kernels.
[[nodiscard]] inline bool openblas_core_predates_avx2(std::string_view core) noexcept {
    constexpr std::array<std::string_view, 22> narrow = {
        "katmai",      "coppermine", "northwood", "prescott",  "banias",     "atom",         "core2", "penryn",
        "dunnington",  "nehalem",    "athlon",    "opteron",   "opteron_sse3", "barcelona",  "nano",  "sandybridge",
        "bobcat",      "bulldozer",  "piledriver", "steamroller", "unknown",  "generic"};
    const auto same = [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
    };
    return std::any_of(narrow.begin(), narrow.end(), [&](std::string_view name) {
        return name.size() == core.size() && std::equal(core.begin(), core.end(), name.begin(), same);
    });
}

/// Whether the products above the threshold go to the BLAS on this machine
/// (read once): yes, unless it is OpenBLAS and the kernels it took for the
/// CPU it found, when the program started, are older than the AVX2 and FMA
/// this build's Eigen uses. OpenBLAS does not know every CPU: 0.3.21 takes
/// an Intel Xeon of family 6, model 207 (AVX-512) for a Prescott (SSE3),
/// whose products ran 3x slower there than Eigen's (benchmarks/NOTES.md,
/// section 4); those then stay on Eigen's kernel. (Its definition depends
/// on the instruction set a file is compiled for, as Eigen's own kernels'
/// do: a program whose files are compiled for different ones may take
/// either choice, and computes right with both.)
[[nodiscard]] inline bool blas_kernels_usable() noexcept {
#if defined(FEDPP_HAS_OPENBLAS) && defined(OPENBLAS_VERSION) && defined(EIGEN_VECTORIZE_AVX2) && \
    defined(EIGEN_VECTORIZE_FMA)
    static const bool usable = [] {
        const char* core = openblas_get_corename();
        return core == nullptr || !openblas_core_predates_avx2(core);
    }();
    return usable;
#else
    return has_blas_products;
#endif
}

/// Whether a product of m x k by k x n, of dense operands, goes to the BLAS.
template <class T>
[[nodiscard]] inline bool product_uses_blas(Index m, Index n, Index k) noexcept {
    return has_blas_products && (std::is_same_v<T, float> || std::is_same_v<T, double>) && m > 0 && n > 0 &&
           k > 0 && m * n >= blas_product_threshold / k && blas_kernels_usable();
}

/// A matrix expression a BLAS can read in place: contiguous along its inner
/// dimension (a matrix, a map, a block of rows, or a transpose of one).
/// Arrays are not matrices (their * multiplies element by element).
template <class X>
concept BlasOperand = std::is_base_of_v<Eigen::MatrixBase<std::remove_cvref_t<X>>, std::remove_cvref_t<X>> &&
                      (std::remove_cvref_t<X>::Flags & Eigen::DirectAccessBit) != 0 &&
                      std::remove_cvref_t<X>::InnerStrideAtCompileTime == 1;

#if defined(FEDPP_HAS_CBLAS)
/// dest (+)= lhs * rhs by cblas_?gemm, each operand read in place.
template <class Dest, class Lhs, class Rhs>
void blas_product(Dest& dest, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    using T = typename Dest::Scalar;
    const bool row_major = Dest::IsRowMajor;
    const auto order = row_major ? CblasRowMajor : CblasColMajor;
    // An operand stored in the other order is the transpose of what it shows.
    const auto lhs_op = Lhs::IsRowMajor == row_major ? CblasNoTrans : CblasTrans;
    const auto rhs_op = Rhs::IsRowMajor == row_major ? CblasNoTrans : CblasTrans;
    const auto m = static_cast<int>(dest.rows());
    const auto n = static_cast<int>(dest.cols());
    const auto k = static_cast<int>(lhs.cols());
    const T beta = accumulate ? T(1) : T(0);
    const auto ld = [](const auto& x) { return static_cast<int>(x.outerStride()); };
    if constexpr (std::is_same_v<T, float>) {
        cblas_sgemm(order, lhs_op, rhs_op, m, n, k, 1.0f, lhs.data(), ld(lhs), rhs.data(), ld(rhs), beta,
                    dest.data(), ld(dest));
    } else {
        cblas_dgemm(order, lhs_op, rhs_op, m, n, k, 1.0, lhs.data(), ld(lhs), rhs.data(), ld(rhs), beta,
                    dest.data(), ld(dest));
    }
}
#endif

/// A product whose three matrices a kernel can read in place (BlasOperand),
/// all of one scalar type: what the BLAS and the few-row kernels take.
template <class Dest, class Lhs, class Rhs>
concept InPlaceProduct = BlasOperand<Dest> && BlasOperand<Lhs> && BlasOperand<Rhs> &&
                         std::is_same_v<typename std::remove_cvref_t<Dest>::Scalar, typename Lhs::Scalar> &&
                         std::is_same_v<typename std::remove_cvref_t<Dest>::Scalar, typename Rhs::Scalar>;

/// Operands the few-row kernels read in place: the result and the left
/// operand by rows, the right operand either way (by rows: dY W; by
/// columns, as a transpose of a row-major matrix: x W^T).
template <class Dest, class Lhs, class Rhs>
concept SkinnyOperands = InPlaceProduct<Dest, Lhs, Rhs> && std::remove_cvref_t<Dest>::IsRowMajor != 0 &&
                         Lhs::IsRowMajor != 0 &&
                         (std::is_same_v<typename Lhs::Scalar, float> || std::is_same_v<typename Lhs::Scalar, double>);

/// dest (+)= lhs * rhs by the few-row kernels (base/skinny_product.hpp),
/// whatever the sizes; multiply_into calls it where product_is_skinny says so.
template <class Dest, class Lhs, class Rhs>
    requires SkinnyOperands<Dest, Lhs, Rhs>
void skinny_product_into(Dest&& dest, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    if constexpr (Rhs::IsRowMajor) {
        skinny_product_nn(lhs.data(), lhs.outerStride(), rhs.data(), rhs.outerStride(), dest.data(),
                          dest.outerStride(), dest.rows(), dest.cols(), lhs.cols(), accumulate);
    } else {
        skinny_product_nt(lhs.data(), lhs.outerStride(), rhs.data(), rhs.outerStride(), dest.data(),
                          dest.outerStride(), dest.rows(), dest.cols(), lhs.cols(), accumulate);
    }
}

/// dest = lhs * rhs (accumulate: dest += lhs * rhs), dest already sized
/// (lhs.rows() x rhs.cols()) and not aliasing either operand.
template <class Dest, class Lhs, class Rhs>
void multiply_into(Dest&& dest, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    eigen_assert(lhs.cols() == rhs.rows() && dest.rows() == lhs.rows() && dest.cols() == rhs.cols() &&
                 "fedpp::detail::multiply_into: the operands' sizes do not match");
    using D = std::remove_cvref_t<Dest>;
    using T = typename D::Scalar;
    if constexpr (SkinnyOperands<D, Lhs, Rhs>) {
        // Beside a BLAS, narrow packets leave it the products it would take.
        const bool blas_alternative = product_uses_blas<T>(dest.rows(), dest.cols(), lhs.cols());
        if (product_is_skinny<T>(dest.rows(), dest.cols(), lhs.cols(), blas_alternative)) {
            skinny_product_into(dest, lhs, rhs, accumulate);
            return;
        }
    }
#if defined(FEDPP_HAS_CBLAS)
    if constexpr (InPlaceProduct<D, Lhs, Rhs>) {
        // cblas counts in int: larger products stay on Eigen's kernel.
        constexpr Index int_max = 0x7fffffff;
        if (product_uses_blas<T>(dest.rows(), dest.cols(), lhs.cols()) && dest.rows() <= int_max &&
            dest.cols() <= int_max && lhs.cols() <= int_max && dest.outerStride() <= int_max &&
            lhs.outerStride() <= int_max && rhs.outerStride() <= int_max) {
            blas_product(dest, lhs, rhs, accumulate);
            return;
        }
    }
#endif
    if (accumulate) {
        dest.noalias() += lhs * rhs;
    } else {
        dest.noalias() = lhs * rhs;
    }
}

} // namespace fedpp::detail
