// fedpp: what happened in a round of a federated run.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fedpp::federated {

/// A client left out of a round, and why.
struct ClientFailure {
    std::size_t client = 0;
    std::string reason;
    /// The client's part was refused (a PermissionDeniedError: by its own
    /// policy, such as a budget of released values spent, or by the
    /// aggregator's, of its update), as it would be again: a client that is
    /// a party of its own is left out of the run's later rounds
    /// (unreachable_clients()) until retry_unreachable() takes it back.
    bool refused = false;
};

/// What happened in one round.
struct RoundMetrics {
    std::size_t round = 0;              ///< 1-based
    std::size_t clients_selected = 0;
    std::size_t clients_aggregated = 0; ///< valid updates added to the average
    std::size_t examples = 0;           ///< examples of the aggregated clients
    bool aggregated = false;            ///< false: too few valid updates, the global model is unchanged
    /// Mean local training loss, weighted by examples; none in a DP run (a
    /// client's loss is not released: the accountant does not cover it).
    std::optional<double> train_loss = std::nullopt;
    double test_loss = 0;               ///< of the global model after the round
    double test_accuracy = 0;
    double round_seconds = 0;
    double elapsed_seconds = 0;         ///< since this driver's first round (a resumed run's: since its own, in its process)
    std::vector<ClientFailure> failures; ///< clients left out, and why
    std::string round_error;             ///< why the round was not aggregated (empty if it was)
    /// Differentially private runs (Config::dp) only: epsilon spent after
    /// this round, at DpConfig::delta; the clip norm the round used; and
    /// whether the budget stops the run here (the next round would exceed it).
    std::optional<double> epsilon = std::nullopt;
    double clip_norm = 0;
    bool budget_reached = false;
};

} // namespace fedpp::federated
