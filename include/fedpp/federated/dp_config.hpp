// fedpp: the settings of a differentially private federated run
// (client-level DP-FedAvg: McMahan, Ramage, Talwar and Zhang 2018,
// "Learning Differentially Private Recurrent Language Models").
//
//     federated::Config config;
//     config.client_fraction = 0.05;          // q: with dp, each client is taken with probability q
//     config.dp = federated::DpConfig{};
//     config.dp->clip_norm = 1.0;             // S (or config.dp->adaptive = privacy::AdaptiveClippingConfig{})
//     config.dp->noise_multiplier = 1.0;      // z
//     config.dp->epsilon_budget = 8.0;        // optional: stop before exceeding (epsilon, delta)
//
// With Config::dp set, a round is: every client with data is taken
// independently with probability q = Config::client_fraction (Poisson
// sampling, which the accountant assumes; the round's number of clients is
// random, and fewer than min_clients leaves the model as it was); each
// trains where its data is, and there its update (trained - global) is
// clipped to L2 norm S; the clipped update moves to the aggregator, which
// checks its norm, adds it with weight w_k (privacy::client_weights) to the
// round's sum, adds N(0, (z S)^2) per value, and releases
// global + noised sum / (q W) (privacy::noised_estimate). An RDP accountant
// counts one step of the Poisson-subsampled Gaussian mechanism per round.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/privacy/adaptive_clipping.hpp"
#include "fedpp/privacy/dp_estimator.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace fedpp::federated {

struct DpConfig {
    /// S, the fixed clip norm of every client's update (> 0). Adaptive
    /// clipping starts from its own initial norm instead: with it, a clip
    /// norm other than this default is refused rather than ignored.
    double clip_norm = 1.0;
    /// If set, the clip norm follows a target quantile of the update norms
    /// (Andrew et al. 2021): initial norm 0.1, quantile 0.5, learning rate
    /// 0.2, and a noised count of unclipped updates (privacy::AdaptiveClipping;
    /// the expected clients per round, m, is q times the clients with data).
    std::optional<privacy::AdaptiveClippingConfig> adaptive = std::nullopt;
    /// z: the noise on the sum has standard deviation z * S (> 0: a run with
    /// z = 0 has no privacy to account for; leave Config::dp empty instead).
    double noise_multiplier = 1.0;
    /// Unweighted: w_k = 1; weighted: w_k = min(n_k / weight_cap, 1).
    privacy::Estimator estimator = privacy::Estimator::unweighted;
    /// McMahan et al.'s w-hat, which the weighted estimator needs (> 0): a
    /// public number fixed before the run (a client's expected example
    /// count, say), not one taken from the clients' data. A cap taken from
    /// their counts (the largest, say) would make every client's weight
    /// depend on one client, whose part in the release the noise would
    /// then no longer cover. The unweighted estimator has none (0;
    /// ArgumentError if set).
    double weight_cap = 0;
    double delta = 1e-5; ///< the delta of the (epsilon, delta) reported
    /// If set, run() stops before a round that would take epsilon above it.
    std::optional<double> epsilon_budget = std::nullopt;

    void validate() const {
        const auto fail = [](const std::string& what) { throw ArgumentError("federated::DpConfig: " + what); };
        if (!(clip_norm > 0 && std::isfinite(clip_norm))) {
            fail("the clip norm must be finite and > 0, got " + std::to_string(clip_norm));
        }
        if (!(noise_multiplier > 0 && std::isfinite(noise_multiplier))) {
            fail("the noise multiplier z must be finite and > 0, got " + std::to_string(noise_multiplier));
        }
        if (!(weight_cap >= 0 && std::isfinite(weight_cap))) {
            fail("the weight cap must be finite and >= 0, got " + std::to_string(weight_cap));
        }
        if (estimator == privacy::Estimator::unweighted && weight_cap != 0) {
            fail("the unweighted estimator (w_k = 1) has no weight cap, got " + std::to_string(weight_cap));
        }
        if (estimator == privacy::Estimator::weighted && weight_cap == 0) {
            fail("the weighted estimator (w_k = min(n_k / weight_cap, 1)) needs a weight cap > 0, fixed before "
                 "the run (a client's expected example count, say): one taken from the clients' counts would make "
                 "every weight depend on one client, which the noise does not cover; or use the unweighted "
                 "estimator (w_k = 1)");
        }
        if (!(delta > 0 && delta < 1)) {
            fail("delta must be in (0, 1), got " + std::to_string(delta));
        }
        if (epsilon_budget && !(*epsilon_budget > 0 && std::isfinite(*epsilon_budget))) {
            fail("the epsilon budget must be finite and > 0, got " + std::to_string(*epsilon_budget));
        }
        if (adaptive) {
            const privacy::AdaptiveClippingConfig& a = *adaptive;
            if (!(a.initial_norm > 0 && std::isfinite(a.initial_norm))) {
                fail("the adaptive clipping's initial norm must be finite and > 0, got " +
                     std::to_string(a.initial_norm));
            }
            if (!(a.target_quantile >= 0 && a.target_quantile <= 1)) {
                fail("the adaptive clipping's target quantile must be in [0, 1], got " +
                     std::to_string(a.target_quantile));
            }
            if (!(a.learning_rate >= 0 && std::isfinite(a.learning_rate))) {
                fail("the adaptive clipping's learning rate must be finite and >= 0, got " +
                     std::to_string(a.learning_rate));
            }
            if (clip_norm != DpConfig{}.clip_norm) {
                const auto text = [](double x) {
                    char buffer[32];
                    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, x).ptr);
                };
                fail("adaptive clipping does not use clip_norm (" + text(clip_norm) +
                     "): it starts from adaptive->initial_norm (" + text(a.initial_norm) +
                     "); set that instead, and leave clip_norm at its default");
            }
        }
    }
};

} // namespace fedpp::federated
