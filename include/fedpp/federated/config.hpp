// fedpp: the settings of a federated run.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/dp_config.hpp"
#include "fedpp/training/local_training.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace fedpp::federated {

/// How a round's updates are combined at the aggregator.
enum class Aggregation {
    weighted_mean,     ///< FedAvg: weighted by example counts; streaming (memory: one model)
    coordinate_median, ///< robust; unweighted; holds the round's updates at the aggregator
    trimmed_mean,      ///< robust; unweighted; drops trim_fraction of each end per coordinate
    /// FedAvg with secure aggregation: the aggregator learns only the weighted
    /// mean (federated::SecureFederatedAveraging, fedpp/federated/secure_driver.hpp)
    secure,
};

struct Config {
    std::size_t rounds = 100;
    /// C, in (0, 1]; a round selects min(K, max(min_clients, round(C K))) of
    /// the K clients with data
    double client_fraction = 0.1;
    training::LocalTraining local;  ///< E, B, learning rate, ...
    std::uint64_t seed = 0;
    std::size_t threads = 0;        ///< clients trained (and test batches scored) at once; 0 = one per hardware thread
    /// A round needs this many valid updates to be aggregated, and selects
    /// at least this many clients; at least 2, the number of clients the
    /// aggregator must combine before it releases an average.
    std::size_t min_clients = 2;
    Aggregation aggregation = Aggregation::weighted_mean;
    double trim_fraction = 0.1;     ///< for Aggregation::trimmed_mean, in [0, 0.5)
    std::optional<double> target_accuracy; ///< run() stops at the first round reaching it
    std::size_t eval_batch = 1000;
    bool keep_transfer_log = false; ///< keep every transfer (memory grows); counts are always kept
    std::string checkpoint_path;    ///< if set, run() saves state() there (atomically) ...
    std::size_t checkpoint_every = 1; ///< ... every this many rounds, and after the last
                                      ///< (DP: also before each round, charged for it: dp_round.hpp)
    /// If set, a differentially private run (DP-FedAvg, dp_config.hpp):
    /// Poisson sampling with q = client_fraction, clipping, noise, accounting.
    std::optional<DpConfig> dp = std::nullopt;

    void validate() const {
        if (!(client_fraction > 0 && client_fraction <= 1)) {
            throw ArgumentError("federated::Config: the client fraction C must be in (0, 1], got " +
                                std::to_string(client_fraction));
        }
        if (aggregation == Aggregation::trimmed_mean && !(trim_fraction >= 0 && trim_fraction < 0.5)) {
            throw ArgumentError("federated::Config: the trim fraction must be in [0, 0.5), got " +
                                std::to_string(trim_fraction));
        }
        if (eval_batch == 0) {
            throw ArgumentError("federated::Config: eval_batch must be at least 1");
        }
        if (checkpoint_every == 0) {
            throw ArgumentError("federated::Config: checkpoint_every must be at least 1");
        }
        if (min_clients < 2) {
            throw ArgumentError("federated::Config: min_clients must be at least 2, got " +
                                std::to_string(min_clients) +
                                ": the trusted aggregator releases only aggregates of at least two clients");
        }
        if (target_accuracy && !(*target_accuracy >= 0 && *target_accuracy <= 1)) {
            throw ArgumentError("federated::Config: the target accuracy is a fraction in [0, 1], got " +
                                std::to_string(*target_accuracy));
        }
        if (dp) {
            if (aggregation != Aggregation::weighted_mean && aggregation != Aggregation::secure) {
                throw ArgumentError("federated::Config: differential privacy (dp) needs Aggregation::weighted_mean "
                                    "or secure; the robust aggregations have no noised sum");
            }
            dp->validate();
        }
        local.validate();
    }
};

} // namespace fedpp::federated
