// fedpp: DP-FedAvg's estimate of the average update (McMahan, Ramage, Talwar
// and Zhang 2018, "Learning Differentially Private Recurrent Language
// Models", section 2 and algorithm 1).
//
//     auto weights = privacy::client_weights(privacy::Estimator::weighted, example_counts, cap);
//     const double denominator = privacy::fixed_denominator(q, weights);        // q * W, W = sum_k w_k
//     // sum = sum over the round's clients k of weights[k] * clip_l2(update_k, S)
//     M estimate = privacy::noised_estimate(sum, z * S, denominator, generator);
//     // new global model = global + estimate
//
// Clients are sampled independently with probability q (Poisson sampling:
// the round's number of clients is random). Each client k has a weight w_k
// in [0, 1]:
//   Estimator::unweighted   w_k = 1
//   Estimator::weighted     w_k = min(n_k / cap, 1): proportional to its
//                           example count n_k, capped at 1 (McMahan et al.'s
//                           w-hat is `cap`, a public number fixed
//                           before the run: one taken from the counts,
//                           such as the largest, would make every weight
//                           depend on one client, beyond what the noise
//                           covers)
// and the estimate is the fixed-denominator one, f_f = sum_k w_k Delta_k /
// (q W) with W the sum of the weights of ALL clients (not only the round's):
// its expectation is the weighted average update, and, because no weight
// exceeds 1 and no clipped update's norm exceeds S, adding or removing one
// client moves the numerator by at most S whatever the others did. The
// noise added to the numerator is therefore N(0, (z S)^2) per value, and the
// estimate has sensitivity S / (q W) with noise z S / (q W): noise
// multiplier z, which is what the accountant is told. (If every w_k is
// below 1 the true sensitivity is S max_k w_k and z S overstates the noise
// needed; it is still what is added, conservatively.)
//
// McMahan et al.'s other estimator, f_c, with the round's own total weight
// as a clipped denominator, is not provided: its sensitivity analysis needs
// a lower bound on that total, and f_f is what they recommend.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/privacy/gaussian_noise.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fedpp::privacy {

enum class Estimator {
    unweighted, ///< w_k = 1
    weighted,   ///< w_k = min(n_k / cap, 1)
};

/// Every client's weight w_k under `estimator`, from the clients' example
/// counts; `cap` (McMahan et al.'s w-hat, > 0) is used by the weighted
/// estimator only. ArgumentError for a cap that is not finite and > 0 with
/// Estimator::weighted.
[[nodiscard]] inline std::vector<double> client_weights(Estimator estimator,
                                                        std::span<const std::size_t> example_counts,
                                                        double cap = 1) {
    std::vector<double> weights(example_counts.size(), 1.0);
    if (estimator == Estimator::unweighted) {
        return weights;
    }
    if (!(cap > 0 && std::isfinite(cap))) {
        throw ArgumentError("privacy::client_weights: the weight cap must be finite and > 0, got " +
                            std::to_string(cap));
    }
    for (std::size_t k = 0; k < example_counts.size(); ++k) {
        weights[k] = std::min(static_cast<double>(example_counts[k]) / cap, 1.0);
    }
    return weights;
}

/// q * W, W = sum of all clients' weights: the estimate's fixed
/// denominator. ArgumentError for q not in (0, 1], a weight not in [0, 1],
/// or a zero total.
[[nodiscard]] inline double fixed_denominator(double q, std::span<const double> weights) {
    if (!(q > 0 && q <= 1)) {
        throw ArgumentError("privacy::fixed_denominator: the sampling rate q must be in (0, 1], got " +
                            std::to_string(q));
    }
    double total = 0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
        if (!(weights[k] >= 0 && weights[k] <= 1)) {
            throw ArgumentError("privacy::fixed_denominator: the weight of client " + std::to_string(k) + " is " +
                                std::to_string(weights[k]) + "; DP-FedAvg's weights are in [0, 1]");
        }
        total += weights[k];
    }
    if (!(total > 0)) {
        throw ArgumentError("privacy::fixed_denominator: the clients' weights add up to zero");
    }
    return q * total;
}

/// (weighted_sum + N(0, noise_stddev^2) per value) / denominator, as a new
/// model: the noised estimate of the average update. The noise comes from
/// `generator` as add_gaussian_noise draws it. ArgumentError for a
/// denominator that is not finite and > 0, or a bad standard deviation.
template <nn::Model M>
[[nodiscard]] M noised_estimate(const M& weighted_sum, double noise_stddev, double denominator,
                                Generator& generator) {
    if (!(denominator > 0 && std::isfinite(denominator))) {
        throw ArgumentError("privacy::noised_estimate: the denominator must be finite and > 0, got " +
                            std::to_string(denominator));
    }
    M estimate = weighted_sum.copy();
    add_gaussian_noise(estimate, noise_stddev, generator);
    using T = typename M::scalar_type;
    for (auto& p : estimate.parameters()) {
        p.value() = (p.value().template cast<double>() / denominator).template cast<T>();
    }
    return estimate;
}

} // namespace fedpp::privacy
