// fedpp's matrix products (base/matrix_product.hpp): few rows through a
// large operand take fedpp's own kernels (base/skinny_product.hpp), other
// large ones go to the BLAS fedpp was built with (FEDPP_USE_BLAS), the small
// ones stay on Eigen's kernel; all give Eigen's own product, for every
// operand layout fedpp multiplies (plain, transposed, a block of rows,
// accumulated).
#include "skip.hpp"

#include <fedpp/base/matrix_product.hpp>
#include <fedpp/tensor/ops/linear_algebra.hpp>
#include <fedpp/tensor/ops/operators.hpp>
#include <fedpp/tensor/ops/reductions.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <type_traits>

namespace {

template <class T>
fedpp::Matrix<T> filled(fedpp::Index rows, fedpp::Index cols, std::uint32_t seed) {
    fedpp::Matrix<T> m(rows, cols);
    std::uint32_t state = seed;
    for (fedpp::Index i = 0; i < m.size(); ++i) {
        state = state * 1664525u + 1013904223u;
        m.data()[i] = static_cast<T>(static_cast<double>(state >> 8) / double(1u << 24) - 0.5);
    }
    return m;
}

/// The largest difference from Eigen's own (lazy, never BLAS) product.
template <class T, class Dest, class Lhs, class Rhs>
double product_error(Dest&& dest, const Lhs& lhs, const Rhs& rhs, bool accumulate) {
    fedpp::Matrix<T> expected = dest;
    if (accumulate) {
        expected += lhs.lazyProduct(rhs);
    } else {
        expected = lhs.lazyProduct(rhs);
    }
    fedpp::detail::multiply_into(dest, lhs, rhs, accumulate);
    const fedpp::Matrix<T> result = dest;
    if (!result.allFinite()) {
        return std::numeric_limits<double>::infinity(); // a NaN the product should have overwritten
    }
    return static_cast<double>((result - expected).cwiseAbs().maxCoeff());
}

template <class T>
void check_every_layout(fedpp::Index m, fedpp::Index n, fedpp::Index k) {
    const double tolerance = (std::is_same_v<T, float> ? 1e-5 : 1e-12) * static_cast<double>(k);
    const auto a = filled<T>(m, k, 1);
    const auto at = filled<T>(k, m, 2); // stored transposed
    const auto b = filled<T>(k, n, 3);
    const auto bt = filled<T>(n, k, 4);
    fedpp::Matrix<T> c(m, n);
    c.setConstant(std::numeric_limits<T>::quiet_NaN()); // accumulate == false: overwritten, never read
    CHECK(product_error<T>(c, a, b, false) < tolerance);
    CHECK(product_error<T>(c, a, bt.transpose(), true) < tolerance);
    CHECK(product_error<T>(c, at.transpose(), b, true) < tolerance);
    CHECK(product_error<T>(c, at.transpose(), bt.transpose(), false) < tolerance);
    // The left columns of a wider matrix (outer stride > columns).
    fedpp::Matrix<T> wide = filled<T>(m, n + 7, 6);
    CHECK(product_error<T>(wide.leftCols(n), a, b, true) < tolerance);
    // Into a column-major destination.
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> column_major = filled<T>(m, n, 7);
    fedpp::Matrix<T> expected = column_major;
    expected += a.lazyProduct(b);
    fedpp::detail::multiply_into(column_major, a, b, true);
    CHECK((fedpp::Matrix<T>(column_major) - expected).cwiseAbs().maxCoeff() < tolerance);
}

} // namespace

TEST_CASE("matrix products of the convolution's operands: maps, transposed maps, into a map", "[tensor][products]") {
    // conv2d: y_n (a map into the output) += W columns (a map of the
    // unfolded image); dW += G_n (a map of const) columns^T; columns = W^T G_n.
    const fedpp::Index out = 64;
    const fedpp::Index patch = 800;
    const fedpp::Index positions = 196; // 10 M multiply-adds each
    const auto weight = filled<float>(out, patch, 21);
    fedpp::Matrix<float> unfolded = filled<float>(patch, positions, 22);
    fedpp::Matrix<float> output = filled<float>(2, out * positions, 23);
    const Eigen::Map<fedpp::Matrix<float>> columns(unfolded.data(), patch, positions);
    Eigen::Map<fedpp::Matrix<float>> y(output.data() + out * positions, out, positions);
    CHECK(product_error<float>(y, weight, columns, true) < 1e-3);
    const fedpp::Matrix<float> gradient = filled<float>(1, out * positions, 24);
    const Eigen::Map<const fedpp::Matrix<float>> g(gradient.data(), out, positions);
    fedpp::Matrix<float> weight_gradient = filled<float>(out, patch, 25);
    CHECK(product_error<float>(weight_gradient, g, columns.transpose(), true) < 1e-3);
    fedpp::Matrix<float> scratch(patch, positions);
    Eigen::Map<fedpp::Matrix<float>> into(scratch.data(), patch, positions);
    into.setConstant(std::numeric_limits<float>::quiet_NaN()); // overwritten, never read
    CHECK(product_error<float>(into, weight.transpose(), g, false) < 1e-3);
}

TEST_CASE("matrix products above the BLAS threshold of one row, one column or k = 1", "[tensor][products]") {
    check_every_layout<double>(1, 4096, 1200);
    check_every_layout<double>(4096, 1, 1200);
    check_every_layout<float>(2048, 2100, 1);
}

TEST_CASE("matrix products below the BLAS threshold: Eigen's kernel, Eigen's result", "[tensor][products]") {
    CHECK_FALSE(fedpp::detail::product_uses_blas<float>(10, 200, 784)); // a 2NN step at batch 10
    CHECK_FALSE(fedpp::detail::product_uses_blas<float>(0, 4096, 4096));
    check_every_layout<float>(10, 64, 64);
    check_every_layout<double>(9, 33, 17);
}

TEST_CASE("matrix products above the BLAS threshold give Eigen's product, in every layout", "[tensor][products]") {
    // 256 x 1024 by 1024 x 40: 10 M multiply-adds.
    const bool blas = fedpp::detail::has_blas_products && fedpp::detail::blas_kernels_usable();
    CHECK(fedpp::detail::product_uses_blas<float>(256, 40, 1024) == blas);
    check_every_layout<float>(256, 40, 1024);
    check_every_layout<double>(256, 40, 1024);
    if (!fedpp::detail::has_blas_products) {
        FEDPP_SKIP("built without a BLAS (FEDPP_USE_BLAS=OFF, or none found): the products above were Eigen's own");
    }
    if (const char* forced = std::getenv("OPENBLAS_CORETYPE"); forced != nullptr) { // (tests/CMakeLists.txt)
        std::string taken = "not OpenBLAS";
#if defined(FEDPP_HAS_OPENBLAS) && defined(OPENBLAS_VERSION)
        taken = openblas_get_corename() != nullptr ? openblas_get_corename() : "";
#endif
        const auto lower = [](std::string name) {
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            return name;
        };
        if (lower(taken) != lower(forced)) {
            FEDPP_SKIP("the BLAS did not take the core OPENBLAS_CORETYPE names (" + std::string(forced) + "): " +
                       taken);
        }
    }
    if (!blas) {
        FEDPP_SKIP("the BLAS's kernels for this CPU are older than the AVX2 and FMA of this build's Eigen: the "
                   "products above were Eigen's own");
    }
}

TEST_CASE("OpenBLAS kernels older than AVX2 and FMA are told from the others by the core OpenBLAS names",
          "[tensor][products]") {
    using fedpp::detail::openblas_core_predates_avx2;
    for (const char* old :
         {"Prescott", "Nehalem", "Sandybridge", "Piledriver", "Core2", "UNKNOWN", "nehalem", "Opteron_SSE3", "GENERIC"}) {
        CHECK(openblas_core_predates_avx2(old));
    }
    for (const char* wide : {"Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Zen", "Excavator", "",
                             "Prescott2", "Prescot"}) {
        CHECK_FALSE(openblas_core_predates_avx2(wide));
    }
}

namespace {

/// linear's forward (x W^T) and both products of its backward (dY W and
/// dY^T x) against Eigen's products.
void check_linear_step(fedpp::Index batch, fedpp::Index in, fedpp::Index out, std::uint32_t seed) {
    fedpp::Tensor<double> x(filled<double>(batch, in, seed), true);
    fedpp::Tensor<double> w(filled<double>(out, in, seed + 1), true);
    fedpp::Tensor<double> b(filled<double>(1, out, seed + 2), true);
    auto y = fedpp::linear(x, w, b);
    fedpp::sum(y * y).backward();
    const fedpp::Matrix<double> y_expected =
        (x.value().lazyProduct(w.value().transpose())).rowwise() + b.value().row(0);
    const fedpp::Matrix<double> g = 2 * y_expected;
    CHECK((y.value() - y_expected).cwiseAbs().maxCoeff() < 1e-9);
    CHECK((x.grad() - g.lazyProduct(w.value())).cwiseAbs().maxCoeff() < 1e-8);
    CHECK((w.grad() - g.transpose().lazyProduct(x.value())).cwiseAbs().maxCoeff() < 1e-8);
}

} // namespace

TEST_CASE("a layer's step above the BLAS threshold: the same gradients either way", "[tensor][products]") {
    // At a size that goes to the BLAS when there is one.
    check_linear_step(128, 256, 200, 11); // 6.5 M multiply-adds per product
}

namespace {

/// skinny_product_nt and _nn against Eigen's product, with blocks of k as
/// given (so that small operands cross several of them), into a destination
/// wider than the result (outer stride > columns) filled with NaN when the
/// product must not read it; the columns beyond the result left as they were.
template <class T>
void check_skinny_kernels(fedpp::Index m, fedpp::Index n, fedpp::Index k, fedpp::Index block) {
    CAPTURE(m, n, k, block);
    const double tolerance = (std::is_same_v<T, float> ? 1e-5 : 1e-13) * static_cast<double>(k + 1);
    const auto a = filled<T>(m, k + 3, 31); // left operand with outer stride k + 3
    const auto b = filled<T>(n, k + 1, 32); // nt: n rows of k
    const auto w = filled<T>(k, n + 2, 33); // nn: k rows of n
    const auto a_used = a.leftCols(k);
    const auto b_used = b.leftCols(k);
    const auto w_used = w.leftCols(n);
    const auto check = [&](bool accumulate, std::uint32_t seed, const fedpp::Matrix<T>& product, const auto& kernel) {
        fedpp::Matrix<T> dest = filled<T>(m, n + 5, seed);
        if (!accumulate) {
            dest.leftCols(n).setConstant(std::numeric_limits<T>::quiet_NaN());
        }
        const fedpp::Matrix<T> beyond = dest.rightCols(5);
        fedpp::Matrix<T> expected = product;
        if (accumulate) {
            expected += dest.leftCols(n);
        }
        kernel(dest);
        const fedpp::Matrix<T> result = dest.leftCols(n);
        REQUIRE(result.allFinite());
        CHECK((result.size() == 0 || (result - expected).cwiseAbs().maxCoeff() < tolerance)); // maxCoeff needs one
        CHECK(fedpp::Matrix<T>(dest.rightCols(5)) == beyond); // nothing written beyond the result
    };
    // (k = 0: zeros, not Eigen's product, whose blocks of the empty w would
    // offset its null data pointer, which clang's UBSan reports.)
    const fedpp::Matrix<T> nt_product =
        k == 0 ? fedpp::Matrix<T>::Zero(m, n) : fedpp::Matrix<T>(a_used.lazyProduct(b_used.transpose()));
    const fedpp::Matrix<T> nn_product =
        k == 0 ? fedpp::Matrix<T>::Zero(m, n) : fedpp::Matrix<T>(a_used.lazyProduct(w_used));
    for (const bool accumulate : {false, true}) {
        CAPTURE(accumulate);
        check(accumulate, 34, nt_product, [&](fedpp::Matrix<T>& dest) {
            fedpp::detail::skinny_product_nt(a.data(), a.cols(), b.data(), b.cols(), dest.data(), dest.cols(), m, n,
                                             k, accumulate, block);
        });
        check(accumulate, 35, nn_product, [&](fedpp::Matrix<T>& dest) {
            fedpp::detail::skinny_product_nn(a.data(), a.cols(), w.data(), w.cols(), dest.data(), dest.cols(), m, n,
                                             k, accumulate, block);
        });
        // The same through skinny_product_into, as multiply_into calls it:
        // the operands as Eigen expressions (blocks, a transpose).
        check(accumulate, 36, nt_product, [&](fedpp::Matrix<T>& dest) {
            fedpp::detail::skinny_product_into(dest.leftCols(n), a_used, b_used.transpose(), accumulate);
        });
        check(accumulate, 37, nn_product, [&](fedpp::Matrix<T>& dest) {
            fedpp::detail::skinny_product_into(dest.leftCols(n), a_used, w_used, accumulate);
        });
    }
}

} // namespace

TEST_CASE("few-row products: fedpp's kernels give Eigen's product for every tile, tail and block",
          "[tensor][products]") {
    // Every height of result (one tile, a tile and a part, two tiles);
    // columns below, at and across one and two packets; depths across
    // several blocks and with a tail shorter than a packet.
    for (fedpp::Index m = 1; m <= fedpp::detail::skinny_product_max_rows; ++m) {
        for (const fedpp::Index n : {1, 2, 3, 5, 8, 17, 40, 67}) {
            check_skinny_kernels<float>(m, n, 37, 16);
            check_skinny_kernels<double>(m, n, 37, 5);
        }
    }
    check_skinny_kernels<float>(10, 512, 300, 0); // blocks from the caches
    check_skinny_kernels<double>(16, 129, 70, 0);
    check_skinny_kernels<float>(4, 9, 1, 0);
    check_skinny_kernels<double>(3, 9, 0, 0); // an empty sum: zero, or unchanged when accumulating
    check_skinny_kernels<float>(3, 0, 5, 0);  // an empty result: nothing written
}

TEST_CASE("few-row products with an operand larger than half the level-2 cache take fedpp's kernels",
          "[tensor][products]") {
    using fedpp::detail::product_is_skinny;
    // A weight of 64 rows just above and just below the size from which
    // packing it costs more than it saves.
    const auto bytes = fedpp::detail::skinny_product_min_operand_bytes();
    CHECK(bytes >= 64 * 1024);
    const auto k = static_cast<fedpp::Index>(bytes / sizeof(float) / 64) + 1;
    CHECK(product_is_skinny<float>(10, 64, k, false));
    CHECK(product_is_skinny<float>(16, k, 64, false));
    CHECK(product_is_skinny<float>(1, k, 64, false));
    CHECK(product_is_skinny<float>(10, 64, k, true) == fedpp::detail::wide_packets<float>); // beside a BLAS
    CHECK_FALSE(product_is_skinny<float>(17, 64, k, false)); // more rows: a general kernel
    CHECK_FALSE(product_is_skinny<float>(0, 64, k, false));
    CHECK_FALSE(product_is_skinny<float>(10, 64, k - 2, false)); // in the cache: packing is cheap
    CHECK(product_is_skinny<double>(3, 64, k / 2 + 1, false));
    CHECK_FALSE(product_is_skinny<double>(3, 64, k / 2 - 1, false));
    // Through multiply_into, every layout (the ones with a transposed left
    // operand stay on the general kernels).
    check_every_layout<float>(10, 64, k + 5);
    check_every_layout<double>(7, k / 2 + 9, 64);
}

TEST_CASE("a layer's step at batch 10 through a large weight: the same gradients by the few-row kernels",
          "[tensor][products]") {
    // The forward (x W^T: nt) and the input's gradient (dY W: nn) take the
    // few-row kernels where product_is_skinny says so (without a BLAS, or
    // with AVX or wider); the weight's gradient (dY^T x) a general kernel.
    const fedpp::Index out = 96;
    const auto bytes = fedpp::detail::skinny_product_min_operand_bytes();
    const auto in = static_cast<fedpp::Index>(bytes / sizeof(double)) / out + 3;
    check_linear_step(10, in, out, 41);
}
