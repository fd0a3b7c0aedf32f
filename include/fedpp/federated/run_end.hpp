// fedpp: whether a run goes on, and if not why: its rounds are done, its
// model meets the target accuracy, or (DP) its budget does not allow
// another round. The run loop (federated_run.hpp) stops on the same rules;
// a model owner restarted with a checkpoint can judge them from the saved
// state alone, before reaching any party:
//
//     const auto saved = load_checkpoint<federated::TrainingState<Model>>(path);
//     if (federated::same_settings(saved.setup, config)) { // a secure run's: secure_driver_settings()
//         const auto accuracy = training::evaluate(saved.global_model, test, 1000).accuracy;
//         if (federated::run_end(saved, config, accuracy).ended()) { /* nothing to train */ }
//     }
#pragma once

#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_config.hpp"
#include "fedpp/federated/dp_state.hpp"
#include "fedpp/federated/state.hpp"
#include "fedpp/privacy/rdp_accountant.hpp"

#include <cstddef>
#include <optional>

namespace fedpp::federated {

/// Why a run does not go on; none set: it does.
struct RunEnd {
    bool all_rounds_done = false; ///< its config.rounds are done
    bool at_target = false;       ///< after a round, its model meets config.target_accuracy
    bool budget_spent = false;    ///< DP: another round would exceed config.dp->epsilon_budget

    [[nodiscard]] bool ended() const noexcept { return all_rounds_done || at_target || budget_spent; }
    friend bool operator==(const RunEnd&, const RunEnd&) = default;
};

/// Whether a DP run of `config` sampling with rate `q` that has spent
/// `spent` can afford another round: it has no budget, or its epsilon (at
/// config.delta) after one more round is within it.
[[nodiscard]] inline bool dp_round_affordable(const privacy::RdpAccountant& spent, double q, const DpConfig& config) {
    return !config.epsilon_budget ||
           spent.spent_after(q, config.noise_multiplier, 1, config.delta).epsilon <= *config.epsilon_budget;
}

/// Why a run of `config` with `rounds_done` rounds done, DP state `dp` (a
/// DP run's) and a global model of test accuracy `accuracy` (nullopt: not
/// measured) does not go on.
[[nodiscard]] inline RunEnd run_end(std::size_t rounds_done, const std::optional<DpState>& dp, const Config& config,
                                    std::optional<double> accuracy) {
    RunEnd end;
    end.all_rounds_done = rounds_done >= config.rounds;
    end.at_target = rounds_done > 0 && config.target_accuracy && accuracy && *accuracy >= *config.target_accuracy;
    end.budget_spent = dp && config.dp && !dp_round_affordable(dp->accountant, config.client_fraction, *config.dp);
    return end;
}

/// run_end() of the run that saved `state`, judged with `config`'s limits
/// (a state of the same settings: same_settings()).
template <class M>
[[nodiscard]] RunEnd run_end(const TrainingState<M>& state, const Config& config, std::optional<double> accuracy) {
    return run_end(state.rounds_done, state.dp, config, accuracy);
}

} // namespace fedpp::federated
