// fedpp: the Renyi differential privacy (RDP) of the Poisson-subsampled
// Gaussian mechanism, computed as Opacus (and TF Privacy before it) does.
//
//     std::vector<double> orders = fedpp::privacy::default_orders();
//     auto rdp = fedpp::privacy::rdp(q, z, steps, orders);    // one value per order
//
// The mechanism: each record (here: each client) is included independently
// with probability q (Poisson sampling), the included records' values,
// each of L2 norm at most S, are summed, and Gaussian noise of standard
// deviation z * S is added (z: the noise multiplier). Its RDP at order
// alpha is log(A_alpha) / (alpha - 1), where (Mironov, Talwar and Zhang
// 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism",
// section 3.3)
//
//   A_alpha = E_{x ~ N(0, z^2)} [ (1 - q + q e^{(2x - 1) / (2 z^2)})^alpha ],
//
// computed for an integer alpha as the binomial sum
//   A = sum_{i=0..alpha} C(alpha, i) q^i (1-q)^(alpha-i) e^{(i^2 - i)/(2 z^2)},
// and for a fractional alpha as the series of their section 3.3, which
// splits the integral at z0 = z^2 log(1/q - 1) + 1/2 into two sums with
// erfc factors and generalised binomial coefficients (negative ones past
// i = alpha + 1). Everything is summed in log space (privacy/log_space.hpp).
// T steps of the mechanism compose to T times the RDP of one (Mironov
// 2017, "Renyi Differential Privacy", proposition 1).
//
// Edge cases: q = 0 releases nothing (RDP 0); q = 1 is the plain Gaussian
// mechanism, alpha / (2 z^2). ArgumentError for q outside [0, 1], z not
// finite and > 0, an order not finite and > 1 (or above max_order), NaN.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/privacy/log_space.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

inline void check_sampling_rate(const char* operation, double q) {
    if (!(q >= 0 && q <= 1)) { // NaN fails too
        throw ArgumentError(std::string(operation) + ": the sampling rate q must be in [0, 1], got " +
                            std::to_string(q));
    }
}

inline void check_noise_multiplier(const char* operation, double z) {
    if (!(z > 0 && std::isfinite(z))) {
        throw ArgumentError(std::string(operation) + ": the noise multiplier z must be finite and > 0, got " +
                            std::to_string(z));
    }
}

/// Orders above this are refused: an integer order's sum has alpha + 1
/// terms, and the fractional series needs more than alpha.
inline constexpr double max_rdp_order = 1e6;

inline void check_order(const char* operation, double alpha) {
    if (!(alpha > 1 && alpha <= max_rdp_order)) {
        throw ArgumentError(std::string(operation) + ": an RDP order must be in (1, 1e6], got " +
                            std::to_string(alpha));
    }
}

/// log A_alpha for an integer alpha: the binomial sum. log C(alpha, i) is
/// built term by term (log C(a, i) = log C(a, i-1) + log(a - i + 1) - log i),
/// which is exact enough and, unlike lgamma, touches no global state.
[[nodiscard]] inline double log_a_integer_order(double q, double z, std::uint64_t alpha) {
    const double log_q = std::log(q);
    const double log_1mq = std::log1p(-q);
    double log_a = log_of_zero;
    double log_binomial = 0;
    for (std::uint64_t i = 0; i <= alpha; ++i) {
        const auto di = static_cast<double>(i);
        if (i > 0) {
            log_binomial += std::log(static_cast<double>(alpha - i + 1)) - std::log(di);
        }
        const double term = log_binomial + di * log_q + static_cast<double>(alpha - i) * log_1mq +
                            (di * di - di) / (2 * z * z);
        log_a = log_add(log_a, term);
    }
    return log_a;
}

/// Running log-space sums of the positive and the negative terms of a
/// series; their difference is taken once, at the end.
struct SignedLogSum {
    double positive = log_of_zero;
    double negative = log_of_zero;
    void add(double log_term, bool is_positive) noexcept {
        double& sum = is_positive ? positive : negative;
        sum = log_add(sum, log_term);
    }
    [[nodiscard]] double value() const { return log_sub(positive, negative); }
};

/// log A_alpha for a fractional alpha: Mironov, Talwar and Zhang's series.
/// Term i of the two sums (j = alpha - i):
///   C(alpha, i) q^i (1-q)^j e^{(i^2-i)/(2z^2)} erfc((i - z0) / (sqrt2 z)) / 2
///   C(alpha, i) q^j (1-q)^i e^{(j^2-j)/(2z^2)} erfc((z0 - j) / (sqrt2 z)) / 2
/// C(alpha, i) alternates in sign once i > alpha + 1. The positive and
/// negative terms are summed apart, so no partial sum can go negative. The
/// series stops, as Opacus's does, once both terms are below e^-30 (A >= 1,
/// so that is relative), but never before i passes alpha: for alpha above
/// ~43 both first terms can be that small while later ones are not.
[[nodiscard]] inline double log_a_fractional_order(double q, double z, double alpha) {
    const double log_q = std::log(q);
    const double log_1mq = std::log1p(-q);
    const double z0 = z * z * (log_1mq - log_q) + 0.5;
    const double erfc_scale = std::numbers::sqrt2 * z;
    SignedLogSum below; // the integral over (-inf, z0]
    SignedLogSum above; // over [z0, inf)
    double log_coefficient = 0; // log |C(alpha, i)|
    bool positive = true;       // the sign of C(alpha, i)
    constexpr std::uint64_t max_terms = 100'000'000;
    for (std::uint64_t n = 0; n < max_terms; ++n) {
        const auto i = static_cast<double>(n);
        if (n > 0) {
            const double factor = alpha - i + 1; // C(a, i) = C(a, i-1) (a - i + 1) / i
            log_coefficient += std::log(std::abs(factor)) - std::log(i);
            positive = positive == (factor > 0);
        }
        const double j = alpha - i;
        const double s0 = log_coefficient + i * log_q + j * log_1mq + (i * i - i) / (2 * z * z) -
                          std::numbers::ln2 + log_erfc((i - z0) / erfc_scale);
        const double s1 = log_coefficient + j * log_q + i * log_1mq + (j * j - j) / (2 * z * z) -
                          std::numbers::ln2 + log_erfc((z0 - j) / erfc_scale);
        below.add(s0, positive);
        above.add(s1, positive);
        if (i > alpha && std::max(s0, s1) < -30) {
            return log_add(below.value(), above.value());
        }
    }
    throw ArgumentError("privacy::rdp: the series for order " + std::to_string(alpha) + " (q = " +
                        std::to_string(q) + ", z = " + std::to_string(z) + ") did not converge");
}

} // namespace fedpp::detail

namespace fedpp::privacy {

/// Opacus's default orders: 1.1, 1.2, ..., 10.9 (1 + x / 10 for x = 1..99),
/// then 12, 13, ..., 63. 151 orders.
[[nodiscard]] inline std::vector<double> default_orders() {
    std::vector<double> orders;
    orders.reserve(151);
    for (int x = 1; x <= 99; ++x) {
        orders.push_back(1 + x / 10.0);
    }
    for (int alpha = 12; alpha <= 63; ++alpha) {
        orders.push_back(alpha);
    }
    return orders;
}

/// The RDP at order `alpha` of one step of the mechanism with sampling rate
/// q and noise multiplier z.
[[nodiscard]] inline double rdp(double q, double z, double alpha) {
    detail::check_sampling_rate("privacy::rdp", q);
    detail::check_noise_multiplier("privacy::rdp", z);
    detail::check_order("privacy::rdp", alpha);
    if (q == 0) {
        return 0;
    }
    if (q == 1) {
        return alpha / (2 * z * z);
    }
    const double log_a = std::floor(alpha) == alpha
                             ? detail::log_a_integer_order(q, z, static_cast<std::uint64_t>(alpha))
                             : detail::log_a_fractional_order(q, z, alpha);
    return log_a / (alpha - 1);
}

/// The RDP at each of `orders` of `steps` steps: steps * rdp(q, z, alpha).
[[nodiscard]] inline std::vector<double> rdp(double q, double z, std::uint64_t steps, std::span<const double> orders) {
    std::vector<double> values;
    values.reserve(orders.size());
    for (const double alpha : orders) {
        values.push_back(rdp(q, z, alpha) * static_cast<double>(steps));
    }
    return values;
}

} // namespace fedpp::privacy
