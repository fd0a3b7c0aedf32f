// fedpp: what every FedAvg driver shares (FederatedAveraging, driver.hpp;
// SecureFederatedAveraging, secure_driver.hpp): the run's parties, global
// model, test set, DP state and threads; which clients a round selects; a
// round's clock, DP charge and closing evaluation; checkpoints and resuming;
// and the loop of rounds (until config.rounds are done, the target accuracy
// is reached, or (DP) the budget forbids another round), with a checkpoint
// every config.checkpoint_every rounds, after the last and (DP) before each.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_selection.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_round.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/run_task.hpp"
#include "fedpp/federated/resume.hpp"
#include "fedpp/federated/run_end.hpp"
#include "fedpp/federated/thread_team.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/parameter_checks.hpp"
#include "fedpp/training/evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The part of a FedAvg driver that does not depend on how it aggregates.
/// `Driver` (CRTP) provides run_round(), built on timed_round().
template <class Driver, nn::Model M, Location AggregatorLocation>
class FederatedRun {
public:
    using T = typename M::scalar_type;
    using Dataset = data::Dataset<T>;

    /// Rounds until config.rounds are done, the target accuracy is reached,
    /// or (DP) the next round would exceed the budget (budget_reached());
    /// `on_round` sees each round's metrics as it ends, before its checkpoint
    /// is saved (CheckpointIoError if that fails: the round is done, and was
    /// reported; a DP run's save before a round: no round ran). Called again
    /// after reaching the target, it goes on; after a restore() of a run
    /// that had reached it, it returns no round.
    std::vector<federated::RoundMetrics> run(const std::function<void(const federated::RoundMetrics&)>& on_round = {}) {
        auto& driver = static_cast<Driver&>(*this);
        std::vector<federated::RoundMetrics> all;
        if (std::exchange(ended_at_target_, false)) {
            return all;
        }
        while (!end().ended()) {
            all.push_back(driver.run_round());
            const bool reached = config_.target_accuracy && all.back().test_accuracy >= *config_.target_accuracy;
            const bool last = reached || end().ended();
            if (on_round) { // first: a round whose checkpoint cannot be saved was still done, and is reported
                on_round(all.back());
            }
            if (!config_.checkpoint_path.empty() && (last || rounds_done_ % config_.checkpoint_every == 0)) {
                save_checkpoint(config_.checkpoint_path, state());
            }
            if (reached) {
                break;
            }
        }
        return all;
    }

    [[nodiscard]] const M& global_model() const noexcept { return global_; }
    /// DP: epsilon spent (at DpConfig::delta); whether the budget forbids another round; the rounds
    /// charged (0 without DP; more than rounds_done() where rounds were run again after a restart).
    [[nodiscard]] std::optional<double> epsilon() const { return dp_ ? std::optional(dp_->epsilon()) : std::nullopt; }
    [[nodiscard]] bool budget_reached() const { return dp_ && !dp_->next_round_affordable(); }
    [[nodiscard]] std::uint64_t dp_rounds_charged() const { return dp_ ? dp_->state().accountant.steps() : 0; }
    /// Why run() trains no round now (federated::run_end's rules; none set:
    /// it does): its rounds are done, (DP) its budget forbids another, or a
    /// restore() found it had ended at the target (ended_at_target()).
    [[nodiscard]] federated::RunEnd end() const {
        return {rounds_done_ >= config_.rounds, ended_at_target_, budget_reached()};
    }
    [[nodiscard]] std::size_t rounds_done() const noexcept { return rounds_done_; }
    [[nodiscard]] std::size_t client_count() const noexcept { return parties_.clients.size(); }
    [[nodiscard]] const std::vector<std::size_t>& client_sizes() const noexcept { return parties_.sizes; }
    /// Clients left out of the run, with the reason: parties of their own
    /// (RemoteParties) that could not be reached when it started, or
    /// refused then (client_sizes() says 0 for them, unless a restored
    /// state counted them), clients whose part of a round was refused
    /// (ClientFailure::refused), and those a restored state had left out,
    /// until retry_unreachable() takes them in.
    [[nodiscard]] const std::vector<federated::ClientFailure>& unreachable_clients() const noexcept {
        return parties_.unreachable;
    }

    /// Tries again each of unreachable_clients() (remote ones), between
    /// rounds (from run()'s on_round, say); returns those reached, which
    /// take part from the next round as if reached at the start
    /// (client_sizes(); a DP run weighs every client again). The others stay
    /// out with the new reason, as does one the run cannot take in without
    /// asking it: one the driver refuses (the secure driver: more clients a
    /// round than its encoding sums), and, with adaptive clipping, one never
    /// reached (its count's noise was set for the clients reached at the
    /// start). state() then records the new sizes.
    std::vector<std::size_t> retry_unreachable() {
        const auto& driver = static_cast<const Driver&>(*this);
        const auto refusal = [&](std::size_t k, std::size_t eligible) -> std::string {
            if (std::string why = dp_ && parties_.sizes[k] == 0 ? dp_->late_client_refusal() : ""; !why.empty()) {
                return why;
            }
            return driver.refusal_for(eligible);
        };
        const auto reweigh = [&, before = parties_.sizes] { // (also if something not fedpp's is thrown)
            if (dp_ && parties_.sizes != before) {
                dp_->reweigh(parties_.sizes);
            }
        };
        try {
            auto reached = parties_.reach_unreachable(refusal);
            reweigh();
            return reached;
        } catch (...) {
            reweigh();
            throw;
        }
    }
    [[nodiscard]] const federated::Config& config() const noexcept { return config_; }
    [[nodiscard]] Federation& federation() noexcept { return parties_.federation; }
    [[nodiscard]] const Worker<AggregatorLocation>& aggregator() const noexcept { return parties_.aggregator; }
    [[nodiscard]] const Worker<federated::Client>& client(std::size_t k) const { return *parties_.clients.at(k); }

    /// Everything needed to continue this run later, with its set-up.
    [[nodiscard]] federated::TrainingState<M> state() const {
        return {rounds_done_, config_.seed, global_.copy(), run_setup(config_, parties_.records(), driver_settings_),
                dp_ ? std::optional(dp_->state()) : std::nullopt};
    }

    /// Continues from `state`. CheckpointMismatchError naming what differs if
    /// it was saved with another set-up (RunSetup: seed, settings, the secure
    /// driver's encoding and graph, the clients' number and example counts)
    /// or has more rounds done than config.rounds; ShapeError for the layout;
    /// CheckpointFormatError if its global model holds a NaN or an infinity;
    /// on any error the run is unchanged. A client left out of either run
    /// may differ: one left out of the run that saved the state is left out
    /// of this one too (retry_unreachable() asks it again), and every client
    /// has the count it had then, so both runs weigh their clients alike,
    /// and select alike if this one reaches every client the other had. (A
    /// state of format 3 or before resumes only with the same clients
    /// reached.) A state with rounds done whose model already meets
    /// config.target_accuracy is of a run that ended there: ended_at_target().
    void restore(const federated::TrainingState<M>& state) {
        noting_on_mismatch(parties_.unreachable_note(), [&] { continue_from(state, "the state"); });
    }

    /// restore() from a checkpoint file written by save_checkpoint(path,
    /// state()) or by run(): errors as load_checkpoint (CheckpointVersionError
    /// if its fedpp did not record the set-up) and restore() (the layout:
    /// CheckpointShapeError; a NaN or an infinity: CheckpointFormatError).
    void resume_from(const std::string& path) {
        noting_on_mismatch(parties_.unreachable_note(), [&] {
            const std::string what = "checkpoint '" + path + "'";
            const auto saved = load_training_state<M>(path);
            try {
                continue_from(saved, what);
            } catch (const ShapeError& e) {
                throw CheckpointShapeError(what + ": " + e.what());
            }
        });
    }

    /// After a restore() of a state with rounds done whose model meets
    /// config.target_accuracy (a run that ended there), until a round is
    /// run: the next run() returns no round; called again, it goes on.
    [[nodiscard]] bool ended_at_target() const noexcept { return ended_at_target_; }

    /// The clients of round `round` (1-based), in increasing order (DP:
    /// each with probability client_fraction, Poisson sampling).
    [[nodiscard]] std::vector<std::size_t> select_clients(std::size_t round) const {
        if (dp_) {
            return dp_->select(parties_.eligible, config_.seed, round);
        }
        return detail::select_clients(parties_.eligible, config_.client_fraction, config_.seed, round,
                                      config_.min_clients);
    }

protected:
    /// Why a driver could not run its rounds with `eligible` clients with
    /// data ("" if it can): a driver with limits of its own hides it.
    [[nodiscard]] std::string refusal_for(std::size_t /*eligible*/) const { return {}; }

    /// `config` already validated by the driver; at most `max_threads`
    /// threads. ArgumentError: fewer clients with data than min_clients, or
    /// an initial model with a NaN or an infinity; CheckpointIoError: a
    /// config.checkpoint_path that cannot be written;
    /// ShapeError: a client's data (in this process) of other features or
    /// classes than the test set's (without a test set, than the first
    /// client's with data), or a model that does not take their features or
    /// gives other than one score per class; ArgumentError: a target
    /// accuracy without a test set to measure it.
    template <class Clients>
    FederatedRun(const char* driver, federated::Config config, M initial_model, Clients&& clients, Dataset test_set,
                 std::size_t max_threads)
        : config_(std::move(config)), test_set_(std::move(test_set)), global_(std::move(initial_model)),
          task_(fedpp::detail::task_of(clients, test_set_)),
          parties_(fedpp::detail::same_task(driver, std::forward<Clients>(clients), task_,
                             test_set_.empty() ? "first client with data" : "test set"),
                   config_.keep_transfer_log) {
        if (config_.target_accuracy && test_set_.empty()) {
            throw ArgumentError(std::string(driver) + ": a target accuracy needs a test set to measure it");
        }
        check_model_finite(driver, global_);
        check_model_fits(driver, global_, task_, test_set_.empty());
        if (!config_.checkpoint_path.empty()) {
            check_checkpoint_writable(config_.checkpoint_path);
        }
        if (parties_.eligible.size() < config_.min_clients) {
            const std::size_t with_data = parties_.eligible.size();
            throw ArgumentError(std::string(driver) + ": " + std::to_string(with_data) +
                                (with_data == 1 ? " client has" : " clients have") + " data, fewer than min_clients (" +
                                std::to_string(config_.min_clients) + "): no round could be aggregated" +
                                parties_.unreachable_note());
        }
        if (config_.dp) {
            dp_.emplace(*config_.dp, config_.client_fraction, parties_.sizes, parties_.eligible);
        }
        team_ = std::make_unique<ThreadTeam>(std::min(worker_count(config_.threads), max_threads));
    }

    /// The next round: (DP) its charge, its selection, then `aggregate(
    /// selected, round, metrics)` (training and aggregation, the driver's
    /// own), then the evaluation of the new global model and the clocks.
    template <class Aggregate>
    federated::RoundMetrics timed_round(Aggregate&& aggregate) {
        const auto start = std::chrono::steady_clock::now();
        if (!clock_started_) {
            first_start_ = start;
            clock_started_ = true;
        }
        if (dp_) { // (saved charged first, with a checkpoint path)
            charge_dp_round(*dp_, config_.checkpoint_path, [this] { return state(); });
        }
        const std::size_t round = rounds_done_ + 1;
        ended_at_target_ = false;
        federated::RoundMetrics metrics;
        metrics.round = round;
        const auto selected = select_clients(round);
        metrics.clients_selected = selected.size();
        metrics.clip_norm = dp_ ? dp_->clip_norm() : 0.0;
        if (selected.size() < config_.min_clients) { // no round to aggregate: none trains (or spends) for nothing
            metrics.round_error = (selected.empty() ? std::string("no client was selected")
                                                    : "only " + std::to_string(selected.size()) +
                                                          (selected.size() == 1 ? " client was" : " clients were") +
                                                          " selected, min_clients is " +
                                                          std::to_string(config_.min_clients) + ": none trained") +
                                  (dp_ ? " (Poisson sampling)" : parties_.unreachable_note()) +
                                  "; the global model is unchanged";
        } else {
            aggregate(selected, round, metrics);
        }
        for (const federated::ClientFailure& failure : metrics.failures) {
            if (failure.refused) { // it would refuse again: out of the later rounds
                parties_.set_aside(failure.client, failure.reason);
            }
        }
        rounds_done_ = round;
        if (dp_) {
            close_dp_round(*dp_, metrics);
        }
        // Bitwise the same for any number of threads.
        const auto evaluation =
            training::evaluate_in_parallel(global_, test_set_, config_.eval_batch, team_->size(), *team_);
        metrics.test_loss = evaluation.loss;
        metrics.test_accuracy = evaluation.accuracy;
        const auto end = std::chrono::steady_clock::now();
        metrics.round_seconds = std::chrono::duration<double>(end - start).count();
        metrics.elapsed_seconds = std::chrono::duration<double>(end - first_start_).count();
        return metrics;
    }

    /// Makes `next` the global model, unless it holds a NaN or an infinity
    /// (a DP release with absurd noise, say): then the round is not
    /// aggregated, and its error says why.
    void adopt(M next, federated::RoundMetrics& metrics) {
        const auto parameters = next.parameters();
        if (const std::size_t k = first_non_finite(parameters); k != parameters.size()) {
            metrics.aggregated = false;
            metrics.round_error = "parameter " + std::to_string(k) +
                                  " of the released model holds NaN or infinite values; the global model is unchanged";
            return;
        }
        global_ = std::move(next);
    }

    federated::Config config_;
    Dataset test_set_;
    M global_;
    Dataset task_; // one example of the task (task_of), to check against
    RunParties<T, AggregatorLocation> parties_;
    std::optional<DpRun> dp_;          // Config::dp: sampling, clip norm, noise, accountant
    std::unique_ptr<ThreadTeam> team_; // the threads clients train on, for the run's life
    federated::RunSetup::Settings driver_settings_; // the driver's own settings a resume must match ("options.*")

private:
    /// Goes on from `state` (`what` names it), all or nothing: checked
    /// (check_state, its clients' adoption, its DP state and weights, the
    /// model's layout) before anything changes.
    void continue_from(const federated::TrainingState<M>& state, const std::string& what) {
        check_state(state, config_, parties_.own_records(), driver_settings_, what);
        auto clients = parties_.adoption(state.setup.clients, what);
        std::optional<DpRun::Weights> weights;
        if (dp_) {
            dp_->check_restorable(*state.dp, state.rounds_done);
            try {
                weights = dp_->weights_for(clients.sizes);
            } catch (const ArgumentError& e) {
                refuse_resume(what, std::string("its clients cannot be weighed: ") + e.what());
            }
        }
        check_layout("load_parameters", shapes_of(global_.parameters()), state.global_model.parameters(),
                     "the source"); // (as load_parameters would, before the evaluation)
        std::optional<double> accuracy; // (measured only where it can end the run)
        if (state.rounds_done > 0 && config_.target_accuracy) {
            accuracy = training::evaluate_in_parallel(state.global_model, test_set_, config_.eval_batch,
                                                      team_->size(), *team_).accuracy;
        }
        const bool ended = federated::run_end(state, config_, accuracy).at_target;
        auto dp_state = state.dp; // (copied before anything changes; what follows cannot throw)
        nn::load_parameters(global_, state.global_model);
        rounds_done_ = state.rounds_done;
        if (dp_) {
            dp_->take(std::move(*dp_state), std::move(*weights));
        }
        parties_.adopt(std::move(clients));
        ended_at_target_ = ended;
    }

    std::size_t rounds_done_ = 0;
    bool ended_at_target_ = false; // ended_at_target()
    bool clock_started_ = false;
    std::chrono::steady_clock::time_point first_start_;
};

} // namespace fedpp::detail
