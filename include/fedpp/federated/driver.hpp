// fedpp: the FedAvg algorithm (McMahan et al., 2017) over many clients.
//
//     federated::Config config;
//     config.client_fraction = 0.1;          // C
//     config.local.epochs = 1;               // E
//     config.local.batch_size = 10;          // B
//     config.local.learning_rate = 0.1;
//     federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), client_data, test_set, config);
//     run.run(federated::progress_printer(stdout, config.rounds));
//
// Each client is a Worker<Client> of its own, holding its data (sent there
// once, or, for RemoteParties, loaded and published by the client itself),
// only ever used there, by its local training. Each round the model owner
// samples min(K, max(min_clients, round(C * K))) of the K clients with data
// and sends each the global model; they train concurrently; each trained
// model moves directly to the trusted aggregator, into a running weighted
// sum (weight: the client's example count); only the average, an Aggregate
// of the round's clients, comes back to the model owner, which evaluates
// it on its test set.
//
// Determinism: all randomness of round r derives from (seed, r, client), and
// the order of the sum from the selection only (round_collector.hpp), never
// from the threads: results are bitwise identical for any thread count, and
// a run resumed from a saved state continues exactly as if never stopped.
// Memory grows with the model, not with the clients.
//
// Faults: a failing client (its training throws, its process is gone, or
// its update is mis-shaped or not finite) is left out with the reason in the
// round's metrics; fewer than config.min_clients valid updates leave the
// model as it was.
//
// Differential privacy (config.dp, DP-FedAvg): see dp_config.hpp.
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/robust.hpp"
#include "fedpp/aggregation/validate.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_round.hpp"
#include "fedpp/federated/federated_run.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/round_collector.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/nn/module.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::federated {

template <nn::Model M>
class FederatedAveraging : public fedpp::detail::FederatedRun<FederatedAveraging<M>, M, Aggregator> {
    using Run = fedpp::detail::FederatedRun<FederatedAveraging<M>, M, Aggregator>;

public:
    using typename Run::Dataset;
    using typename Run::T;

    /// Places client k's data on worker "client-k" (data sets may be empty:
    /// such clients are never selected); moved-in client_data is let go of
    /// as each data set is sent (and is gone if this throws). ArgumentError:
    /// a bad config, no client data.
    template <class ClientData = std::vector<Dataset>, class Update = TrainLocally>
        requires std::derived_from<std::remove_cvref_t<ClientData>, std::vector<Dataset>> && ClientUpdate<Update, M>
    FederatedAveraging(M initial_model, ClientData&& client_data, Dataset test_set, Config config,
                       Update /*client_update: its type is the code*/ = {})
        : FederatedAveraging(Setup{}, std::move(initial_model), std::forward<ClientData>(client_data),
                             std::move(test_set), std::move(config), fedpp::detail::client_trainers<M, Update>) {}

    /// Clients that are parties of their own (RemoteParties): the same run,
    /// bitwise, as in one process. An unreachable client is left out of the
    /// round (the reason in its metrics), or of the whole run if it cannot
    /// be reached when the run starts (unreachable_clients()); an
    /// unreachable aggregator fails the round with NetworkError.
    template <class Update = TrainLocally>
        requires ClientUpdate<Update, M>
    FederatedAveraging(M initial_model, RemoteParties parties, Dataset test_set, Config config, Update = {})
        : FederatedAveraging(Setup{}, std::move(initial_model), std::move(parties), std::move(test_set),
                             std::move(config), fedpp::detail::client_trainers<M, Update>) {}

    /// One round; see the file comment.
    RoundMetrics run_round() {
        return this->timed_round([&](const std::vector<std::size_t>& selected, std::size_t round, RoundMetrics& metrics) {
            fedpp::detail::restart_sum(sum_, global_, aggregator_);
            // (At least one: a DP round may select no client, and still has its sum.)
            const std::size_t threads =
                std::max<std::size_t>(1, std::min(team_->size(), fedpp::detail::group_count(selected.size())));
            Collector collector(aggregator_, streaming() ? &sum_ : nullptr, global_, sizes_, threads);
            train_round(selected, round, collector, threads);
            aggregate_round(collector, metrics, round);
        });
    }

private:
    using Trainers = fedpp::detail::ClientTrainers<M>; // the client update's code, by type
    struct Setup {};

    template <class Clients>
    FederatedAveraging(Setup, M initial_model, Clients&& clients, Dataset test_set, Config config, Trainers train)
        // No more threads than a round has groups of clients to give them.
        : Run("FederatedAveraging", check(std::move(config)), std::move(initial_model), std::forward<Clients>(clients),
              std::move(test_set), fedpp::detail::max_groups_per_round),
          train_client_(train), aggregator_(parties_.aggregator), sizes_(parties_.sizes),
          shapes_(fedpp::detail::shapes_of(global_.parameters())), sum_(send(WeightedSum<M>(global_), aggregator_)) {}

    /// Config::validate(), and not Aggregation::secure: that is another driver's.
    static Config check(Config config) {
        config.validate();
        if (config.aggregation == Aggregation::secure) {
            throw ArgumentError("FederatedAveraging: Aggregation::secure is run by federated::SecureFederatedAveraging "
                                "(fedpp/federated/secure_driver.hpp, CMake target fedpp::secure_aggregation)");
        }
        return config;
    }

    using Run::config_;
    using Run::dp_;
    using Run::global_;
    using Run::parties_;
    using Run::team_;
    using Collector = fedpp::detail::RoundCollector<M>;
    using Group = fedpp::detail::GroupResult<M>;
    using Outcome = fedpp::detail::ClientOutcome;

    [[nodiscard]] bool streaming() const noexcept { return config_.aggregation == Aggregation::weighted_mean; }

    /// Trains the selected clients, group by group, on `threads` threads,
    /// handing each group to the collector.
    void train_round(const std::vector<std::size_t>& selected, std::size_t round, Collector& collector,
                     std::size_t threads) {
        const Bytes global_bytes = to_bytes(global_); // sent to every selected client
        fedpp::detail::train_groups(*team_, threads, selected, collector, [&](auto members, std::size_t thread) {
            return train_group(members, round, global_bytes, collector, thread);
        });
    }

    /// The round's metrics, and the new global model if enough updates came.
    void aggregate_round(Collector& collector, RoundMetrics& metrics, std::size_t round) {
        collector.report(metrics);
        if (dp_) {
            metrics.train_loss.reset(); // the clients' losses stayed with them
        }
        metrics.aggregated = collector.aggregated >= config_.min_clients;
        if (!metrics.aggregated) {
            // If it was the aggregator that failed: NetworkError, no round.
            (void)aggregator_.object_count();
            metrics.round_error = metrics.clients_selected == 0
                                      ? "no client was selected (Poisson sampling); the global model is unchanged"
                                      : "only " + std::to_string(collector.aggregated) +
                                            " valid updates, min_clients is " + std::to_string(config_.min_clients) +
                                            "; the global model is unchanged";
            return;
        }
        switch (config_.aggregation) {
        case Aggregation::weighted_mean:
            this->adopt(dp_ ? fedpp::detail::dp_release_round(*dp_, sum_, global_, aggregator_, collector.indicators,
                                                              config_.seed, round)
                            : average_of(sum_).get(),
                        metrics);
            break;
        case Aggregation::coordinate_median: this->adopt(coordinate_median(collector.kept).get(), metrics); break;
        case Aggregation::trimmed_mean:
            this->adopt(trimmed_mean(collector.kept, config_.trim_fraction).get(), metrics);
            break;
        case Aggregation::secure: break; // refused by the constructor
        }
    }

    /// A group of clients, in order, by one thread: each client's part of
    /// the round (train_client), its update checked and added to the group's
    /// sum at the aggregator (or kept there), then deleted.
    Group train_group(std::span<const std::size_t> clients, std::size_t round, const Bytes& global_bytes,
                      Collector& collector, std::size_t thread) {
        Group group;
        if (streaming()) {
            try {
                group.partial.emplace(collector.take_partial(thread));
            } catch (const std::exception& e) {
                for (const std::size_t k : clients) {
                    group.clients.push_back({k, 0.0, "the aggregator could not start a sum: " + std::string(e.what())});
                }
                return group;
            }
        }
        for (const std::size_t k : clients) {
            Outcome outcome;
            outcome.client = k;
            if (auto trained = train_client(k, round, global_bytes, outcome)) {
                try {
                    if (trained->at_client) {
                        // Straight from the client into the group's sum:
                        // never stored at the aggregator.
                        accumulate(*group.partial, std::move(*trained->at_client), double(sizes_[k]));
                    } else {
                        add_update(group, std::move(*trained->moved), k);
                    }
                } catch (const std::exception& e) {
                    const bool crossed = !trained->at_client || !trained->at_client->valid();
                    outcome.failure = crossed ? std::string("rejected at the aggregator: ") + e.what() : e.what();
                    outcome.refused = !crossed && dynamic_cast<const PermissionDeniedError*>(&e) != nullptr;
                }
            }
            group.clients.push_back(std::move(outcome));
        }
        return group;
    }

    /// A client's trained model: still at the client (a plain streaming
    /// round adds it to the sum straight from there), or moved to the
    /// aggregator.
    struct Trained {
        std::optional<Pointer<M, Client>> at_client;
        std::optional<fedpp::detail::TrainedUpdate<M>> moved;
    };

    /// Checks an update moved to the aggregator (here, in parallel, so that
    /// adding the group sums in order is all that remains serial) and adds
    /// it to the group's DP sum, or keeps it for a robust aggregation.
    void add_update(Group& group, fedpp::detail::TrainedUpdate<M> update, std::size_t k) {
        if (dp_) {
            dp::accumulate_clipped(*group.partial, std::move(update.model), dp_->weight(k), dp_->clip_norm());
            if (update.unclipped) {
                group.indicators.push_back(std::move(*update.unclipped));
            }
        } else {
            validate(update.model, shapes_);
            group.updates.push_back(std::move(update.model));
        }
    }

    /// Client `k`'s part of round `round`: receive the global model, train
    /// it where the data is, and move the result to the aggregator (but in a
    /// plain streaming round, where train_group adds it to the sum straight
    /// from the client). Empty, with the reason in outcome.failure, if the
    /// client failed.
    std::optional<Trained> train_client(std::size_t k, std::size_t round, const Bytes& global_bytes,
                                        Outcome& outcome) {
        try {
            Worker<Client>& worker = *parties_.clients[k];
            auto model = fedpp::detail::send_encoded<M>(global_bytes, worker);
            const std::uint64_t seed = fedpp::detail::derive_seed(config_.seed, round, k + 1);
            if (dp_) { // the clipped update moves; the loss stays at the client
                auto unclipped = train_client_.dp(worker, model, parties_.data[k], config_.local, seed, k, round,
                                                  dp_->clip_norm());
                // The indicator first: a client whose budget of released scalars is spent fails before its
                // update, from the other budget, is spent on a round it cannot join.
                auto indicator = dp_->adaptive() ? std::optional(unclipped.move(aggregator_)) : std::nullopt;
                return Trained{std::nullopt,
                               fedpp::detail::TrainedUpdate<M>{model.move(aggregator_), std::move(indicator)}};
            }
            outcome.loss = train_client_.plain(worker, model, parties_.data[k], config_.local, seed, k, round);
            if (streaming()) {
                return Trained{std::move(model), std::nullopt};
            }
            return Trained{std::nullopt, fedpp::detail::TrainedUpdate<M>{model.move(aggregator_), std::nullopt}};
        } catch (const std::exception& e) {
            outcome.failure = e.what();
            outcome.refused = dynamic_cast<const PermissionDeniedError*>(&e) != nullptr; // (ClientFailure::refused)
        } catch (...) {
            outcome.failure = "the client's training threw an exception that is not a std::exception";
        }
        return std::nullopt;
    }

    Trainers train_client_;
    Worker<Aggregator>& aggregator_;
    const std::vector<std::size_t>& sizes_;
    fedpp::detail::ParameterShapes shapes_; // what every update must match (public: the model's layout)
    Pointer<WeightedSum<M>, Aggregator> sum_;
};

} // namespace fedpp::federated
