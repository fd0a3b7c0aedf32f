// fedpp: a federated run's rounds, one after another: until config.rounds
// are done, the target accuracy is reached, or (DP) the budget forbids
// another round; a checkpoint every config.checkpoint_every rounds and after
// the last. What FederatedAveraging::run and SecureFederatedAveraging::run do.
#pragma once

#include "fedpp/federated/metrics.hpp"
#include "fedpp/io/checkpoint.hpp"

#include <functional>
#include <vector>

namespace fedpp::detail {

/// `driver`'s rounds (see the file comment); `on_round` sees each round's
/// metrics as it ends.
template <class Driver>
std::vector<federated::RoundMetrics> run_rounds(Driver& driver,
                                                const std::function<void(const federated::RoundMetrics&)>& on_round) {
    const auto& config = driver.config();
    std::vector<federated::RoundMetrics> all;
    while (driver.rounds_done() < config.rounds && !driver.budget_reached()) {
        all.push_back(driver.run_round());
        const bool reached = config.target_accuracy && all.back().test_accuracy >= *config.target_accuracy;
        const bool last = reached || driver.rounds_done() == config.rounds;
        if (!config.checkpoint_path.empty() && (last || driver.rounds_done() % config.checkpoint_every == 0)) {
            save_checkpoint(config.checkpoint_path, driver.state());
        }
        if (on_round) {
            on_round(all.back());
        }
        if (reached) {
            break;
        }
    }
    return all;
}

} // namespace fedpp::detail
