// fedpp: FedAvg with secure aggregation (config.aggregation =
// Aggregation::secure). The rounds of FederatedAveraging (driver.hpp), but
// the aggregator is a SumOnlyAggregator: each selected client trains where
// its data is, masks its update (trained - global) there, and only the
// masked update moves to the aggregator, which unmasks the weighted mean of
// the round's updates (weights: example counts) and nothing else; the model
// owner adds it to the global model. Bonawitz et al.'s
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
// SecureRoundOptions::degree below the round's participants - 1 runs
// SecAgg+ (a random graph of that degree; not with DP), whose cost grows
// with the degree rather than with the clients: the same mean, bitwise. A
// round whose participants are too few for that degree to be sparse runs
// the complete graph; one with so many that the degree is below
// NeighbourGraph::minimum_degree fails (its round_error says so).
//
// The masked values are the updates' (SecureRoundOptions::encoding: [-8, 8]
// in steps of 2^-18 by default; the driver sets the largest weight to the
// largest example count among each round's clients, so that a round of
// small clients keeps the encoding's resolution whatever the largest
// client of the federation). A client whose update has a value outside that
// range, or one that is not finite, is left out of the round with the
// reason (secure_client_update.hpp), never clipped.
//
// With Config::dp (fixed clipping), DP-FedAvg with distributed noise
// (secure_dp.hpp): Poisson sampling, each client clips its update, weights
// it and adds its share of the noise before masking; the round is released
// only with at least its threshold t of shares in it, and the model owner
// adds the noised sum / (q W); the accountant as for central DP.
//
// Clients and the aggregator may be parties of their own (RemoteParties,
// over fedpp::grpc): each data owner then moves its masked update and its
// messages only to the sum-only aggregators its own Policy lists, and the
// aggregator (Role::sum_only_aggregator) takes nothing else from them and
// releases only the mean. Not covered: a malicious server (see
// fedpp/secure_aggregation.hpp).
// Needs OpenSSL 3 (CMake target fedpp::secure_aggregation).
#pragma once

#include "fedpp/aggregation/mask_noise.hpp"
#include "fedpp/aggregation/secure_round.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/federated_run.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/secure_client_update.hpp"
#include "fedpp/federated/secure_dp.hpp"
#include "fedpp/federated/secure_settings.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/located/worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// The aggregator of a secure run: it sums masked updates, and is trusted
/// with no single one.
using SecureAggregator = SumOnlyAggregator<"aggregator">;

template <nn::Model M>
class SecureFederatedAveraging
    : public fedpp::detail::FederatedRun<SecureFederatedAveraging<M>, M, SecureAggregator> {
    using Run = fedpp::detail::FederatedRun<SecureFederatedAveraging<M>, M, SecureAggregator>;

public:
    using typename Run::Dataset;
    using typename Run::T;

    /// Client k's data is placed on worker "client-k" (sent once). ArgumentError:
    /// a bad config, one whose aggregation is not Aggregation::secure, DP
    /// with adaptive clipping or with noise the encoding's range cannot hold,
    /// or options that set encoding.max_weight (the driver sets it); rounds
    /// the options cannot serve (secure_settings.hpp).
    template <class Update = TrainLocally>
        requires ClientUpdate<Update, M>
    SecureFederatedAveraging(M initial_model, std::vector<Dataset> client_data, Dataset test_set, Config config,
                             secagg::SecureRoundOptions options = {}, Update update = {})
        : SecureFederatedAveraging(Setup{}, std::move(initial_model), std::move(client_data), std::move(test_set),
                                   std::move(config), std::move(options), update) {}

    /// Clients and a sum-only aggregator that are parties of their own
    /// (RemoteParties; the aggregator's Policy::role is
    /// party::Role::sum_only_aggregator, and each client lists it among its
    /// Policy::sum_only_aggregators): the same run, bitwise, as in one
    /// process. The aggregator knows each client by its certificate's name.
    template <class Update = TrainLocally>
        requires ClientUpdate<Update, M>
    SecureFederatedAveraging(M initial_model, RemoteParties parties, Dataset test_set, Config config,
                             secagg::SecureRoundOptions options = {}, Update update = {})
        : SecureFederatedAveraging(Setup{}, std::move(initial_model), std::move(parties), std::move(test_set),
                                   std::move(config), std::move(options), update) {}

    /// One round; see the file comment.
    RoundMetrics run_round() {
        return this->timed_round([&](const std::vector<std::size_t>& selected, std::size_t round, RoundMetrics& metrics) {
            auto trained = train_round(selected, round);
            aggregate_round(selected, trained, round, metrics);
        });
    }

private:
    /// A selected client's update, at its worker, or why it failed.
    struct Trained {
        std::optional<Pointer<M, Client>> model;
        double loss = 0;
        std::string failure;
        bool refused = false; // ClientFailure::refused
    };

    using Run::config_;
    using Run::dp_;
    using Run::global_;
    using Run::parties_;
    using Run::team_;

    struct Setup {};

    template <class Clients, class Update>
    SecureFederatedAveraging(Setup, M initial_model, Clients&& clients, Dataset test_set, Config config,
                             secagg::SecureRoundOptions options, Update /*its type is the code*/)
        : Run("SecureFederatedAveraging", fedpp::detail::checked_secure_config(std::move(config), options),
              std::move(initial_model),
              std::forward<Clients>(clients), std::move(test_set), std::numeric_limits<std::size_t>::max()),
          train_client_(&fedpp::detail::secure_train_client_with<M, Update>),
          train_dp_client_(&fedpp::detail::secure_dp_train_client_with<M, Update>), options_(std::move(options)) {
        this->driver_settings_ = fedpp::detail::secure_resume_settings(options_, dp_.has_value());
        if (std::string why = refusal_for(parties_.eligible.size()); !why.empty()) {
            throw ArgumentError(why);
        }
    }

    friend Run; // (refusal_for)

    /// Why rounds among `eligible` clients with data could not be
    /// aggregated ("" if they can; check_secure_round_size).
    [[nodiscard]] std::string refusal_for(std::size_t eligible) const {
        const double expected = config_.client_fraction * static_cast<double>(eligible);
        try {
            fedpp::detail::check_secure_round_size(
                dp_ ? static_cast<std::size_t>(std::llround(expected))
                    : fedpp::detail::selection_size(eligible, config_.client_fraction, config_.min_clients),
                expected, dp_.has_value(), options_);
        } catch (const ArgumentError& e) {
            return e.what();
        }
        return {};
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
                    const std::uint64_t seed = fedpp::detail::derive_seed(config_.seed, round, k + 1);
                    if (dp_) { // the update, clipped and weighted, stays there to be noised and masked; its loss too
                        (void)train_dp_client_(worker, model, parties_.data[k], config_.local, seed, k, round,
                                               dp_->clip_norm(), dp_->weight(k));
                    } else {
                        trained[i].loss = train_client_(worker, model, parties_.data[k], config_.local, seed, k, round,
                                                        options_.encoding.clipping_range); // the update stays there
                    }
                    trained[i].model.emplace(std::move(model));
                } catch (const std::exception& e) {
                    trained[i].failure = e.what();
                    trained[i].refused = dynamic_cast<const PermissionDeniedError*>(&e) != nullptr;
                }
            }
        });
        return trained;
    }

    /// The secure round among the clients that trained; the new global model
    /// if enough of them survive it.
    void aggregate_round(const std::vector<std::size_t>& selected, std::vector<Trained>& trained, std::size_t round,
                         RoundMetrics& metrics) {
        std::vector<std::size_t> in; // indices into selected
        for (std::size_t i = 0; i < selected.size(); ++i) {
            if (trained[i].model) {
                in.push_back(i);
            } else {
                metrics.failures.push_back({selected[i], trained[i].failure, trained[i].refused});
            }
        }
        const std::size_t needed = std::max<std::size_t>(config_.min_clients, dp_ ? threshold_of(selected.size()) : 0);
        if (in.size() < needed) {
            metrics.round_error = "only " + std::to_string(in.size()) + " of the " + std::to_string(selected.size()) +
                                  " selected clients have an update to mask (the others' reasons are in the " +
                                  "failures), " + std::to_string(needed) + " are needed (min_clients" +
                                  (dp_ ? ", and the t whose noise shares make the round's noise" : "") +
                                  "); the global model is unchanged";
            return;
        }
        try {
            std::vector<Worker<Client>*> workers;
            for (const std::size_t i : in) {
                workers.push_back(parties_.clients[selected[i]].get());
            }
            auto options = options_;
            // Weights: example counts, the largest of the round's the unit; with DP, w_k (at most 1) is
            // applied by the client itself.
            options.encoding.max_weight = 1.0;
            if (!dp_) {
                for (const std::size_t i : in) {
                    options.encoding.max_weight =
                        std::max(options.encoding.max_weight, static_cast<double>(parties_.sizes[selected[i]]));
                }
            }
            if (options.seed) { // (tests: fresh secrets each round all the same)
                options.seed = fedpp::detail::derive_seed(*options.seed, round, 0);
            }
            if (dp_) { // released only with as many noise shares as the clients were told
                options.threshold = threshold_of(selected.size());
            }
            secagg::SecureRound<M, SecureAggregator> secure(global_, parties_.aggregator, options, workers);
            std::vector<Pointer<Masked<M>, SecureAggregator>> masked;
            for (const std::size_t i : in) {
                try { // an update that cannot be encoded drops its client out
                    const auto weight = dp_ ? 1.0 : static_cast<double>(parties_.sizes[selected[i]]);
                    masked.push_back(secure.mask(*trained[i].model, weight, noise_share(selected, i, round))
                                         .move(parties_.aggregator));
                } catch (const Error& e) {
                    trained[i].failure = e.what();
                }
            }
            Aggregate<M> mean = secure.sum(std::move(masked)).get();
            M next = global_.copy(); // global + the mean update; with DP, global + noised sum / (q W)
            const double factor = dp_ ? static_cast<double>(mean.contributions()) / dp_->denominator() : 1.0;
            add_scaled(next, mean.model(), factor);
            report(selected, trained, in, secure, metrics);
            this->adopt(std::move(next), metrics);
        } catch (const Error& e) {
            session_failed(e, selected, trained, in, metrics);
        }
    }

    /// The round's secure session failed (`e`): its error, and among the
    /// failures the clients of `in` that could not mask (often why).
    static void session_failed(const Error& e, const std::vector<std::size_t>& selected,
                               const std::vector<Trained>& trained, const std::vector<std::size_t>& in,
                               RoundMetrics& metrics) {
        metrics.round_error = std::string("secure aggregation failed: ") + e.what() + "; the global model is unchanged";
        for (const std::size_t i : in) {
            if (!trained[i].failure.empty()) {
                metrics.failures.push_back({selected[i], "dropped out of secure aggregation: " + trained[i].failure});
            }
        }
    }

    /// The round's threshold t: the strict majority of its selected clients.
    static std::uint32_t threshold_of(std::size_t selected) noexcept {
        return selected < 2 ? 2 : secagg::majority_threshold(static_cast<std::uint32_t>(selected - 1));
    }

    /// DP: the noise share client selected[i] adds where it masks (none
    /// without DP), from its seed of the round (secure_dp.hpp).
    [[nodiscard]] secagg::MaskNoise noise_share(const std::vector<std::size_t>& selected, std::size_t i,
                                                std::size_t round) const {
        if (!dp_) {
            return {};
        }
        const std::uint64_t seed = fedpp::detail::derive_seed(config_.seed, round, selected[i] + 1);
        return {fedpp::detail::noise_share_stddev(dp_->noise_stddev(), threshold_of(selected.size())),
                dp_->noise_seed(seed, round, fedpp::detail::dp_noise_stream)};
    }

    /// model += factor * values, in double precision, rounded once.
    static void add_scaled(M& model, const M& values, double factor) {
        auto to = model.parameters();
        const auto from = values.parameters();
        for (std::size_t k = 0; k < to.size(); ++k) {
            to[k].value() = (to[k].value().template cast<double>() +
                             from[k].value().template cast<double>() * factor).template cast<T>();
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
                std::string why = trained[in[p]].failure.empty() ? "its masked update did not reach the aggregator"
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
        if (!config_.dp && metrics.examples > 0) { // (a DP client's loss stays with it)
            metrics.train_loss = weighted_loss / static_cast<double>(metrics.examples);
        }
        metrics.aggregated = true;
    }

    fedpp::detail::SecureTrainClient<M> train_client_; // the update, checked against the encoding's range
    fedpp::detail::SecureDpTrainClient<M> train_dp_client_; // DP: clipping, weighting
    secagg::SecureRoundOptions options_;
};

} // namespace fedpp::federated
