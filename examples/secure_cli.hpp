// --aggregation mean | secure for the federated examples (digits_fedavg,
// networked_mnist): whether a run uses secure aggregation, and the secure
// driver's options for its config. The secure part needs
// fedpp::secure_aggregation (OpenSSL 3): an example built without it
// (FEDPP_EXAMPLES_SECURE_AGGREGATION undefined) refuses --aggregation secure.
#pragma once

#include "command_line.hpp"

#include <fedpp/federated/config.hpp>
#ifdef FEDPP_EXAMPLES_SECURE_AGGREGATION
#include <fedpp/federated/secure_driver.hpp>
#endif

#include <algorithm>
#include <cstdio>
#include <string>

namespace examples {

/// The help line of --aggregation.
inline constexpr const char* aggregation_help =
    "mean | secure (default mean; secure: secure aggregation, the aggregator learns only the weighted mean of "
    "the updates, or with --dp-*, their noised sum: the clients add the noise in shares)";

/// Whether --aggregation asks for secure aggregation; a usage error for
/// another value, or for secure in an example built without it.
inline bool secure_aggregation(const CommandLine& cli, const char* program) {
    const std::string aggregation = cli.text("aggregation", "mean");
    if (aggregation != "mean" && aggregation != "secure") {
        cli.fail("unknown aggregation '" + aggregation + "' (mean or secure)");
    }
#ifndef FEDPP_EXAMPLES_SECURE_AGGREGATION
    if (aggregation == "secure") {
        cli.fail(std::string("this ") + program +
                 " was built without secure aggregation (OpenSSL 3, fedpp::secure_aggregation)");
    }
#else
    (void)program;
#endif
    return aggregation == "secure";
}

#ifdef FEDPP_EXAMPLES_SECURE_AGGREGATION
/// The secure driver's options for `config`, printed: with DP, an encoding
/// range that holds a clipped update and 6 standard deviations of its noise
/// share, S (1 + 6 z).
inline fedpp::secagg::SecureRoundOptions secure_round_options(const fedpp::federated::Config& config) {
    fedpp::secagg::SecureRoundOptions options;
    if (config.dp) {
        options.encoding.clipping_range = std::max(options.encoding.clipping_range,
                                                   config.dp->clip_norm * (1 + 6 * config.dp->noise_multiplier));
    }
    std::printf("secure aggregation: the aggregator learns only %s; values encoded in [-%g, %g]\n",
                config.dp ? "the noised sum of each round's updates (the clients add the noise in shares)"
                          : "the weighted mean of each round's updates",
                options.encoding.clipping_range, options.encoding.clipping_range);
    return options;
}
#endif

} // namespace examples
