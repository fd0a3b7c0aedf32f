// fedpp: from Renyi differential privacy to (epsilon, delta)-DP.
//
//     double eps = fedpp::privacy::epsilon(q, z, steps, 1e-5);  // Poisson-subsampled Gaussian, T steps
//     auto spent = fedpp::privacy::privacy_spent(orders, rdp, 1e-5);  // spent.epsilon, spent.order
//
// A mechanism that is (alpha, r)-RDP is (epsilon, delta)-DP for every delta
// in (0, 1) with
//
//   Conversion::balle2020 (default, as Opacus's get_privacy_spent): Balle,
//       Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis Testing
//       Interpretations and Renyi Differential Privacy", theorem 21:
//       epsilon = r + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1)
//   Conversion::classic: Mironov 2017, proposition 3:
//       epsilon = r - log(delta) / (alpha - 1)
//
// and the reported epsilon is the smallest over the orders, with the order
// that gave it. The classic conversion is never tighter (its epsilon is
// larger by log(alpha) / (alpha - 1) - log((alpha - 1) / alpha) > 0 at
// every order), and is what Abadi et al.'s moments accountant used.
//
// Two clarifications of what the formulas alone would say:
//  - An RDP of 0 at every order (q = 0, or no steps: nothing about the data
//    was released) is reported as epsilon 0, the exact answer. The
//    formulas would charge their delta term alone, about 0.1 at order 63
//    for delta = 1e-5, a cost of the conversion, not of the mechanism.
//  - A negative epsilon (possible for a large delta) is reported as 0:
//    (epsilon, delta)-DP with epsilon < 0 implies (0, delta)-DP.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/privacy/rdp.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace fedpp::privacy {

enum class Conversion {
    balle2020, ///< Balle et al. 2020, theorem 21 (Opacus's get_privacy_spent)
    classic,   ///< Mironov 2017, proposition 3: r - log(delta) / (alpha - 1)
};

/// What a run has spent: epsilon at the caller's delta, and the RDP order
/// that gave it (0 when nothing was spent: epsilon is then exactly 0).
struct PrivacySpent {
    double epsilon = 0;
    double order = 0;
};

} // namespace fedpp::privacy

namespace fedpp::detail {

inline void check_delta(const char* operation, double delta) {
    if (!(delta > 0 && delta < 1)) {
        throw ArgumentError(std::string(operation) + ": delta must be in (0, 1), got " + std::to_string(delta));
    }
}

/// epsilon at one order, by `conversion`.
[[nodiscard]] inline double epsilon_at_order(double alpha, double rdp, double delta,
                                             privacy::Conversion conversion) {
    if (conversion == privacy::Conversion::classic) {
        return rdp - std::log(delta) / (alpha - 1);
    }
    return rdp + std::log((alpha - 1) / alpha) - (std::log(delta) + std::log(alpha)) / (alpha - 1);
}

} // namespace fedpp::detail

namespace fedpp::privacy {

/// The smallest epsilon over `orders` for the RDP values `rdp` (one per
/// order) at `delta`. ArgumentError if the spans differ in length or are
/// empty, an order is not in (1, 1e6], an RDP value is negative or NaN
/// (+infinity is allowed: no guarantee at that order), or delta is not in
/// (0, 1).
[[nodiscard]] inline PrivacySpent privacy_spent(std::span<const double> orders, std::span<const double> rdp,
                                                double delta, Conversion conversion = Conversion::balle2020) {
    constexpr const char* operation = "privacy::privacy_spent";
    fedpp::detail::check_delta(operation, delta);
    if (orders.empty() || orders.size() != rdp.size()) {
        throw ArgumentError(std::string(operation) + ": " + std::to_string(orders.size()) + " orders and " +
                            std::to_string(rdp.size()) + " RDP values; there must be as many, and at least one");
    }
    bool nothing_spent = true;
    for (std::size_t k = 0; k < orders.size(); ++k) {
        fedpp::detail::check_order(operation, orders[k]);
        if (!(rdp[k] >= 0)) {
            throw ArgumentError(std::string(operation) + ": the RDP at order " + std::to_string(orders[k]) + " is " +
                                std::to_string(rdp[k]) + "; it must be >= 0");
        }
        nothing_spent = nothing_spent && rdp[k] == 0;
    }
    if (nothing_spent) {
        return {0, 0};
    }
    PrivacySpent best{std::numeric_limits<double>::infinity(), orders[0]};
    for (std::size_t k = 0; k < orders.size(); ++k) {
        const double epsilon = fedpp::detail::epsilon_at_order(orders[k], rdp[k], delta, conversion);
        if (epsilon < best.epsilon) {
            best = {epsilon, orders[k]};
        }
    }
    best.epsilon = std::max(best.epsilon, 0.0);
    return best;
}

/// epsilon after `steps` steps of the Poisson-subsampled Gaussian mechanism
/// with sampling rate q and noise multiplier z, at `delta`, over Opacus's
/// default orders. ArgumentError for q outside [0, 1], z not finite and
/// > 0, delta outside (0, 1), NaN.
[[nodiscard]] inline double epsilon(double q, double z, std::uint64_t steps, double delta,
                                    Conversion conversion = Conversion::balle2020) {
    fedpp::detail::check_delta("privacy::epsilon", delta);
    const auto orders = default_orders();
    return privacy_spent(orders, rdp(q, z, steps, orders), delta, conversion).epsilon;
}

} // namespace fedpp::privacy
