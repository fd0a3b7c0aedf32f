// fedpp: the settings SecureFederatedAveraging (secure_driver.hpp) refuses
// at the start: those it cannot run at all, and those under which no round
// could be aggregated, which would otherwise show only as rounds that fail;
// and those of its own it records in its checkpoints.
#pragma once

#include "fedpp/aggregation/secure_round.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/state.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fedpp::detail {

/// `config`, validated; ArgumentError for an aggregation other than
/// Aggregation::secure, DP with adaptive clipping, with a sparse graph or
/// with noise the encoding's range cannot hold (S (1 + 6 z) beyond it), an
/// odd degree, or options that set encoding.max_weight (the driver sets it
/// each round).
inline federated::Config checked_secure_config(federated::Config config, const fedpp::secagg::SecureRoundOptions& options) {
    config.validate();
    if (config.aggregation != federated::Aggregation::secure) {
        throw ArgumentError("SecureFederatedAveraging: set config.aggregation = Aggregation::secure (the other "
                            "aggregations are FederatedAveraging's)");
    }
    if (config.dp && config.dp->adaptive) {
        throw ArgumentError("SecureFederatedAveraging: adaptive clipping with secure aggregation is not "
                            "available (its count would need a secure sum of its own): use a fixed clip norm");
    }
    if (options.encoding.max_weight != fedpp::secagg::FixedPointConfig{}.max_weight) {
        throw ArgumentError("SecureFederatedAveraging: leave SecureRoundOptions::encoding.max_weight as it is: "
                            "the driver sets it each round (the largest example count among the round's "
                            "clients; 1 with DP, whose clients weigh their updates themselves)");
    }
    if (options.degree % 2 != 0) {
        throw ArgumentError("SecureFederatedAveraging: a sparse graph's degree is even, not " +
                            std::to_string(options.degree) + " (SecureRoundOptions::degree; 0: the complete graph)");
    }
    if (config.dp && options.degree != 0) {
        throw ArgumentError("SecureFederatedAveraging: distributed DP needs the complete graph (degree 0): its "
                            "round is released only with a threshold of the selected clients' noise shares in "
                            "the sum, which a sparse graph's thresholds, one per neighbourhood, do not ensure");
    }
    const double needed = config.dp ? config.dp->clip_norm * (1 + 6 * config.dp->noise_multiplier) : 0;
    if (options.encoding.clipping_range < needed) {
        throw ArgumentError("SecureFederatedAveraging: the encoding's clipping range " +
                            exact_text(options.encoding.clipping_range) +
                            " cannot hold clipped updates and their noise (S (1 + 6 z) = " + exact_text(needed) +
                            "): raise SecureRoundOptions::encoding.clipping_range, or lower z or the clip norm");
    }
    return config;
}

/// ArgumentError, at the start, for rounds `options` could not aggregate:
/// `per_round` clients (without DP, each round's) more than the encoding
/// sums without wrapping around, or a sparse graph's degree below the floor
/// for them; with DP (Poisson sampling, `expected` clients a round on
/// average), fewer than two. (A round that comes out otherwise, by sampling
/// or dropouts, fails with its reason in its round_error.)
inline void check_secure_round_size(std::size_t per_round, double expected, bool dp,
                                    const fedpp::secagg::SecureRoundOptions& options) {
    const std::string each = "SecureFederatedAveraging: each round " +
                             (dp ? "samples " + exact_text(expected) + " clients on average"
                                 : "selects " + std::to_string(per_round) + " clients");
    if (dp && expected < 2) {
        throw ArgumentError(each + ": a secure round needs at least 2 (and a strict majority of its selected "
                                   "clients' noise shares), so most rounds would spend privacy and release "
                                   "nothing; raise client_fraction");
    }
    const std::size_t most = fedpp::secagg::FixedPointEncoding(options.encoding).max_clients();
    if (per_round > most) {
        throw ArgumentError(each + ", more than the encoding sums without wrapping around (" + std::to_string(most) +
                            "): lower client_fraction, or SecureRoundOptions::encoding.fraction_bits or "
                            "clipping_range");
    }
    if (!dp && per_round >= 2) {
        try {
            (void)secagg::session_degree(options.degree, static_cast<std::uint32_t>(per_round));
        } catch (const ArgumentError& e) {
            throw ArgumentError(each + ": " + e.what());
        }
    }
}

/// What of `options` a resumed run must have as the run that saved its
/// checkpoint did (RunSetup, "options.*"): the encoding, which rounds every
/// update to its steps and leaves out those beyond its range, and the graph
/// and (without `dp`, which sets its own each round) the threshold, which
/// decide which rounds survive dropouts. Not the seed of the secrets: the
/// masks cancel whatever it is.
inline federated::RunSetup::Settings secure_resume_settings(const fedpp::secagg::SecureRoundOptions& options,
                                                            bool dp) {
    federated::RunSetup::Settings settings{
        {"options.encoding.clipping_range", exact_text(options.encoding.clipping_range)},
        {"options.encoding.fraction_bits", std::to_string(options.encoding.fraction_bits)},
        {"options.degree", std::to_string(options.degree)}};
    if (!dp) {
        settings.emplace_back("options.threshold", std::to_string(options.threshold));
    }
    return settings;
}

} // namespace fedpp::detail

namespace fedpp::federated {

/// The settings of its own that a SecureFederatedAveraging of `config` with
/// `options` records in its checkpoints (the encoding, the graph's degree,
/// and without DP the threshold): same_settings()'s `driver_settings`, to
/// judge a checkpoint of a secure run without starting one.
[[nodiscard]] inline RunSetup::Settings secure_driver_settings(const Config& config,
                                                             const secagg::SecureRoundOptions& options) {
    return detail::secure_resume_settings(options, config.dp.has_value());
}

} // namespace fedpp::federated
