// fedpp: arithmetic on numbers kept as their logarithms, for the privacy
// accountant (privacy/rdp.hpp). Its sums run over terms from e^-700 to
// e^+700 and beyond, which no double holds directly; their logarithms are
// ordinary numbers. log(0) is -infinity throughout.
#pragma once

#include "fedpp/base/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

namespace fedpp::detail {

inline constexpr double log_of_zero = -std::numeric_limits<double>::infinity();

/// log(e^a + e^b), without forming e^a or e^b: the larger term is factored
/// out, so exp() only ever sees a difference <= 0 and cannot overflow.
[[nodiscard]] inline double log_add(double a, double b) noexcept {
    const double high = std::max(a, b);
    const double low = std::min(a, b);
    if (low == log_of_zero) {
        return high;
    }
    return high + std::log1p(std::exp(low - high));
}

/// log(e^a - e^b) for a >= b: a + log(1 - e^-(a-b)). The last factor is
/// computed as Maechler (2012, "Accurately computing log(1 - exp(-|a|))")
/// recommends: with expm1 when a - b is small (1 - e^-x is then close to x
/// and 1 - e^-x would cancel), with log1p when it is large (e^-x is then
/// small and log1p keeps its digits). ArgumentError if a < b: the
/// difference would be negative, which a logarithm cannot hold.
[[nodiscard]] inline double log_sub(double a, double b) {
    if (b == log_of_zero) {
        return a;
    }
    if (!(a >= b)) {
        throw ArgumentError("log_sub: log(e^a - e^b) needs a >= b, got a = " + std::to_string(a) +
                            ", b = " + std::to_string(b));
    }
    const double x = a - b;
    if (x == 0) {
        return log_of_zero;
    }
    return a + (x <= std::numbers::ln2 ? std::log(-std::expm1(-x)) : std::log1p(-std::exp(-x)));
}

/// log(erfc(x)), accurate where erfc(x) itself underflows (x > 26.5).
/// Below 20, std::erfc keeps its full relative accuracy (glibc and the
/// other C libraries compute the tail directly, not as 1 - erf), and
/// erfc(20) ~ 5e-176 is far from the smallest double. From 20 on, the
/// asymptotic series erfc(x) = e^(-x^2) / (x sqrt(pi)) * sum_n (-1)^n
/// (2n-1)!! / (2x^2)^n, whose terms at x >= 20 fall below 1e-20 after ten.
[[nodiscard]] inline double log_erfc(double x) noexcept {
    if (!(x >= 20)) { // NaN goes this way too, and stays NaN
        return std::log(std::erfc(x));
    }
    const double step = 1 / (2 * x * x);
    double term = 1;
    double series = 1;
    for (int n = 1; n <= 10; ++n) {
        term *= -(2 * n - 1) * step;
        series += term;
    }
    return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log(series);
}

} // namespace fedpp::detail
