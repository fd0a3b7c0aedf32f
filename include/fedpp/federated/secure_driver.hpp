// fedpp: FedAvg with secure aggregation (config.aggregation =
// Aggregation::secure). The rounds of FederatedAveraging (driver.hpp), but
// the aggregator is a SumOnlyAggregator: each selected client trains where
// its data is, masks its trained model there, and only the masked model
// moves to the aggregator, which unmasks the weighted mean of the round's
// models (weights: example counts) and nothing else. Bonawitz et al.'s
// protocol, run by secagg::SecureRound (aggregation/secure_round.hpp).
//
//     federated::Config config;                      // as for FederatedAveraging
//     config.aggregation = federated::Aggregation::secure;
//     federated::SecureFederatedAveraging<nn::Sequential<float>> run(std::move(model), client_data, test_set,
//                                                                    config);
//     run.run(federated::progress_printer(stdout, config.rounds));
//
// The clients train on config.threads threads; the protocol's steps run one
// after another. A client whose training fails, or that drops out during
// the protocol, is left out (the reason in the round's metrics); with fewer
// than min_clients trained clients, or fewer survivors than the protocol's
// threshold, the round is not aggregated and the model is unchanged.
// Results are bitwise the same for any thread count, and a run resumes from
// its checkpoint exactly: the unmasked sum is exact modular arithmetic,
// whatever the protocol's randomness.
//
// The masked values are the trained models' parameters, each clipped to
// the encoding's range (SecureRoundOptions::encoding: [-8, 8] in steps of
// 2^-18 by default; the driver sets the largest weight to the largest
// client's example count). What this does not yet cover: DP (Config::dp),
// clients in processes of their own (RemoteParties), a malicious server
// (see fedpp/secure_aggregation.hpp). Needs OpenSSL 3 (CMake target
// fedpp::secure_aggregation).
#pragma once

#include "fedpp/aggregation/secure_round.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_selection.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/run_loop.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/federated/state.hpp"
#include "fedpp/federated/thread_team.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/training/evaluation.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// The aggregator of a secure run: it sums masked models, and is trusted
/// with no single one.
using SecureAggregator = SumOnlyAggregator<"aggregator">;

template <nn::Model M>
class SecureFederatedAveraging {
public:
    using T = typename M::scalar_type;
    using Dataset = data::Dataset<T>;

    /// Client k's data is placed on worker "client-k" (sent once). ArgumentError:
    /// a bad config, one whose aggregation is not Aggregation::secure, DP.
    template <class Update = TrainLocally>
        requires ClientUpdate<Update, M>
    SecureFederatedAveraging(M initial_model, std::vector<Dataset> client_data, Dataset test_set, Config config,
                             secagg::SecureRoundOptions options = {}, Update = {})
        : config_(checked(std::move(config))), train_client_(fedpp::detail::client_trainers<M, Update>.plain),
          test_set_(std::move(test_set)), global_(std::move(initial_model)),
          parties_(std::move(client_data), config_.keep_transfer_log), options_(std::move(options)) {
        if (parties_.eligible.size() < config_.min_clients) {
            throw ArgumentError("SecureFederatedAveraging: " + std::to_string(parties_.eligible.size()) +
                                " clients have data, fewer than min_clients (" + std::to_string(config_.min_clients) +
                                ")");
        }
        options_.encoding.max_weight = static_cast<double>(
            *std::max_element(parties_.sizes.begin(), parties_.sizes.end())); // weights: example counts
        team_ = std::make_unique<fedpp::detail::ThreadTeam>(fedpp::detail::worker_count(config_.threads));
    }

    /// One round; see the file comment.
    RoundMetrics run_round() {
        const auto start = std::chrono::steady_clock::now();
        if (!clock_started_) {
            first_start_ = start;
            clock_started_ = true;
        }
        const std::size_t round = rounds_done_ + 1;
        RoundMetrics metrics;
        metrics.round = round;
        const auto selected = select_clients(round);
        metrics.clients_selected = selected.size();
        auto trained = train_round(selected, round);
        aggregate_round(selected, trained, metrics);
        rounds_done_ = round;
        const auto evaluation =
            training::evaluate_in_parallel(global_, test_set_, config_.eval_batch, team_->size(), *team_);
        metrics.test_loss = evaluation.loss;
        metrics.test_accuracy = evaluation.accuracy;
        const auto end = std::chrono::steady_clock::now();
        metrics.round_seconds = std::chrono::duration<double>(end - start).count();
        metrics.elapsed_seconds = std::chrono::duration<double>(end - first_start_).count();
        return metrics;
    }

    /// Rounds until config.rounds are done or the target accuracy is reached
    /// (run_loop.hpp); `on_round` sees each round's metrics as it ends.
    std::vector<RoundMetrics> run(const std::function<void(const RoundMetrics&)>& on_round = {}) {
        return fedpp::detail::run_rounds(*this, on_round);
    }

    [[nodiscard]] const M& global_model() const noexcept { return global_; }
    [[nodiscard]] bool budget_reached() const noexcept { return false; } // (no DP)
    [[nodiscard]] std::size_t rounds_done() const noexcept { return rounds_done_; }
    [[nodiscard]] const std::vector<std::size_t>& client_sizes() const noexcept { return parties_.sizes; }
    [[nodiscard]] const Config& config() const noexcept { return config_; }
    [[nodiscard]] Federation& federation() noexcept { return parties_.federation; }

    /// Everything needed to continue this run later, with its set-up.
    [[nodiscard]] TrainingState<M> state() const {
        return {rounds_done_, config_.seed, global_.copy(), fedpp::detail::run_setup(config_, client_sizes()),
                std::nullopt};
    }
    /// Continues from `state` (errors as FederatedAveraging::restore).
    void restore(const TrainingState<M>& state) {
        rounds_done_ = fedpp::detail::restore_state(state, global_, config_, client_sizes(), "the state").rounds_done;
    }
    /// restore() from a checkpoint file (errors as FederatedAveraging::resume_from).
    void resume_from(const std::string& path) {
        rounds_done_ = fedpp::detail::resume_state(path, global_, config_, client_sizes()).rounds_done;
    }

    /// The clients of round `round` (1-based), in increasing order.
    [[nodiscard]] std::vector<std::size_t> select_clients(std::size_t round) const {
        return fedpp::detail::select_clients(parties_.eligible, config_.client_fraction, config_.seed, round,
                                             config_.min_clients);
    }

private:
    /// A selected client's trained model, at its worker, or why it failed.
    struct Trained {
        std::optional<Pointer<M, Client>> model;
        double loss = 0;
        std::string failure;
    };

    static Config checked(Config config) {
        config.validate();
        if (config.aggregation != Aggregation::secure) {
            throw ArgumentError("SecureFederatedAveraging: set config.aggregation = Aggregation::secure (the other "
                                "aggregations are FederatedAveraging's)");
        }
        if (config.dp) {
            throw ArgumentError("SecureFederatedAveraging: differential privacy with secure aggregation (noise "
                                "added by the clients in shares) is not available yet");
        }
        return config;
    }

    /// Each selected client trains a copy of the global model where its data
    /// is, clients shared out over the threads (each client's result is its
    /// own, so the thread count changes nothing).
    std::vector<Trained> train_round(const std::vector<std::size_t>& selected, std::size_t round) {
        std::vector<Trained> trained(selected.size());
        const Bytes global_bytes = to_bytes(global_);
        const std::size_t threads = std::max<std::size_t>(1, std::min(team_->size(), selected.size()));
        team_->run(threads, [&](std::size_t thread) {
            for (std::size_t i = thread; i < selected.size(); i += threads) {
                const std::size_t k = selected[i];
                try {
                    Worker<Client>& worker = *parties_.clients[k];
                    auto model = fedpp::detail::send_encoded<M>(global_bytes, worker);
                    trained[i].loss = train_client_(worker, model, parties_.data[k], config_.local,
                                                    fedpp::detail::derive_seed(config_.seed, round, k + 1), k, round);
                    trained[i].model.emplace(std::move(model));
                } catch (const std::exception& e) {
                    trained[i].failure = e.what();
                }
            }
        });
        return trained;
    }

    /// The secure round among the clients that trained; the new global model
    /// if enough of them survive it.
    void aggregate_round(const std::vector<std::size_t>& selected, std::vector<Trained>& trained,
                         RoundMetrics& metrics) {
        std::vector<std::size_t> in; // indices into selected
        for (std::size_t i = 0; i < selected.size(); ++i) {
            if (trained[i].model) {
                in.push_back(i);
            } else {
                metrics.failures.push_back({selected[i], trained[i].failure});
            }
        }
        if (in.size() < config_.min_clients) {
            metrics.round_error = "only " + std::to_string(in.size()) + " clients trained, min_clients is " +
                                  std::to_string(config_.min_clients) + "; the global model is unchanged";
            return;
        }
        try {
            std::vector<Worker<Client>*> workers;
            for (const std::size_t i : in) {
                workers.push_back(parties_.clients[selected[i]].get());
            }
            auto options = options_;
            if (options.seed) { // (tests: fresh secrets each round all the same)
                options.seed = fedpp::detail::derive_seed(*options.seed, rounds_done_ + 1, 0);
            }
            secagg::SecureRound<M, SecureAggregator> secure(global_, parties_.aggregator, options, workers);
            std::vector<Pointer<Masked<M>, SecureAggregator>> masked;
            for (const std::size_t i : in) {
                try { // a model that cannot be encoded (NaN, infinite) drops its client out
                    const auto weight = static_cast<double>(parties_.sizes[selected[i]]);
                    masked.push_back(secure.mask(*trained[i].model, weight).move(parties_.aggregator));
                } catch (const Error& e) {
                    trained[i].failure = e.what();
                }
            }
            global_ = secure.sum(std::move(masked)).get();
            report(selected, trained, in, secure, metrics);
        } catch (const Error& e) {
            metrics.round_error = std::string("secure aggregation failed: ") + e.what() + "; the global model is unchanged";
        }
    }

    /// The aggregated clients' count, examples and mean training loss; those
    /// whose update is not in the sum among the failures.
    void report(const std::vector<std::size_t>& selected, const std::vector<Trained>& trained,
                const std::vector<std::size_t>& in, const secagg::SecureRound<M, SecureAggregator>& secure,
                RoundMetrics& metrics) const {
        double weighted_loss = 0;
        for (std::size_t p = 0; p < in.size(); ++p) {
            if (!secure.in_sum()[p]) {
                std::string why = trained[in[p]].failure.empty() ? "its masked model did not reach the aggregator"
                                                                  : trained[in[p]].failure;
                for (const auto& [participant, reason] : secure.dropouts()) {
                    why = participant == p ? reason : why;
                }
                metrics.failures.push_back({selected[in[p]], "dropped out of secure aggregation: " + why});
            } else {
                const std::size_t n = parties_.sizes[selected[in[p]]];
                metrics.examples += n;
                weighted_loss += trained[in[p]].loss * static_cast<double>(n);
                ++metrics.clients_aggregated;
            }
        }
        metrics.train_loss = metrics.examples > 0 ? weighted_loss / static_cast<double>(metrics.examples) : 0.0;
        metrics.aggregated = true;
    }

    Config config_;
    fedpp::detail::TrainClient<M> train_client_;
    Dataset test_set_;
    M global_;
    fedpp::detail::RunParties<T, SecureAggregator> parties_;
    secagg::SecureRoundOptions options_;
    std::unique_ptr<fedpp::detail::ThreadTeam> team_;
    std::size_t rounds_done_ = 0;
    bool clock_started_ = false;
    std::chrono::steady_clock::time_point first_start_;
};

} // namespace fedpp::federated
