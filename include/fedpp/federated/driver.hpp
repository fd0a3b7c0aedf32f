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
// Each client is a Worker<Client> of its own: its data is sent there once and
// is only ever used there, by its local training. Each round the model owner
// samples max(min_clients, round(C * K)) clients, sends each the global
// model; they train concurrently; each trained model moves directly to the
// trusted aggregator, into a running weighted sum (weight: the client's
// example count); only the average, an Aggregate of the round's clients,
// comes back to the model owner, which evaluates it on its test set.
//
// Determinism: all randomness of round r derives from (seed, r, client), and
// the order of the sum from the selection only (round_collector.hpp), never
// from the threads: results are bitwise identical for any thread count, and
// a run resumed from a saved state continues exactly as if never stopped.
//
// Memory grows with the model, not with the clients: the sum, one group
// sum and one update in flight per thread, and a bounded number of group
// sums waiting for their turn.
//
// Faults: a failing client (its training throws, or its update is
// mis-shaped or not finite) is left out with the reason in the round's
// metrics; fewer than config.min_clients valid updates leave the model as
// it was.
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/robust.hpp"
#include "fedpp/aggregation/validate.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_selection.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/round_collector.hpp"
#include "fedpp/federated/state.hpp"
#include "fedpp/federated/thread_team.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/training/evaluation.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fedpp::federated {

template <nn::Model M>
class FederatedAveraging {
public:
    using T = typename M::scalar_type;
    using Dataset = data::Dataset<T>;

    /// Places client k's data on worker "client-k" (client data sets may be
    /// empty: such clients are never selected). ArgumentError for a bad
    /// config or no client with data.
    template <class Update = TrainLocally>
        requires ClientUpdate<Update, M>
    FederatedAveraging(M initial_model, const std::vector<Dataset>& client_data, Dataset test_set, Config config,
                       Update /*client_update: its type is the code*/ = {})
        : config_(std::move(config)), train_client_(&train_client_with<Update>), test_set_(std::move(test_set)),
          global_(std::move(initial_model)), parties_((config_.validate(), client_data), config_.keep_transfer_log),
          aggregator_(parties_.aggregator), sizes_(parties_.sizes) {
        if (parties_.eligible.size() < config_.min_clients) {
            throw ArgumentError("FederatedAveraging: " + std::to_string(parties_.eligible.size()) +
                                " clients have data, fewer than min_clients (" +
                                std::to_string(config_.min_clients) + "): no round could be aggregated");
        }
        shapes_ = fedpp::detail::shapes_of(global_.parameters());
        sum_ = send(WeightedSum<M>(global_), aggregator_);
        // No more threads than a round has groups of clients to give them.
        team_ = std::make_unique<fedpp::detail::ThreadTeam>(std::min(worker_count(), max_groups_per_round));
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
        // The sum starts empty: whatever an earlier round left in it (the
        // last round's sum, or part of one that threw) is not this round's.
        reset(sum_);
        const std::size_t threads = std::min(team_->size(), group_count(selected.size()));
        Collector collector(aggregator_, streaming() ? &sum_ : nullptr, global_, sizes_, threads);
        train_round(selected, round, collector, threads);
        aggregate_round(collector, metrics);
        rounds_done_ = round;

        const training::Evaluation evaluation = training::evaluate(global_, test_set_, config_.eval_batch);
        metrics.test_loss = evaluation.loss;
        metrics.test_accuracy = evaluation.accuracy;
        const auto end = std::chrono::steady_clock::now();
        metrics.round_seconds = std::chrono::duration<double>(end - start).count();
        metrics.elapsed_seconds = std::chrono::duration<double>(end - first_start_).count();
        return metrics;
    }

    /// Rounds until config.rounds are done or the target accuracy is reached;
    /// `on_round` sees each round's metrics as it ends.
    std::vector<RoundMetrics> run(const std::function<void(const RoundMetrics&)>& on_round = {}) {
        std::vector<RoundMetrics> all;
        while (rounds_done_ < config_.rounds) {
            all.push_back(run_round());
            const bool reached = config_.target_accuracy && all.back().test_accuracy >= *config_.target_accuracy;
            const bool last = reached || rounds_done_ == config_.rounds;
            if (!config_.checkpoint_path.empty() && (last || rounds_done_ % config_.checkpoint_every == 0)) {
                save_checkpoint(config_.checkpoint_path, state());
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

    [[nodiscard]] const M& global_model() const noexcept { return global_; }
    [[nodiscard]] std::size_t rounds_done() const noexcept { return rounds_done_; }
    [[nodiscard]] std::size_t client_count() const noexcept { return parties_.clients.size(); }
    [[nodiscard]] const std::vector<std::size_t>& client_sizes() const noexcept { return sizes_; }
    [[nodiscard]] const Config& config() const noexcept { return config_; }
    [[nodiscard]] Federation& federation() noexcept { return parties_.federation; }
    [[nodiscard]] const Worker<Aggregator>& aggregator() const noexcept { return aggregator_; }
    [[nodiscard]] const Worker<Client>& client(std::size_t k) const { return *parties_.clients.at(k); }

    /// Everything needed to continue this run later, with its set-up.
    [[nodiscard]] TrainingState<M> state() const {
        return {rounds_done_, config_.seed, global_.copy(), fedpp::detail::run_setup(config_, client_sizes())};
    }

    /// Continues from `state`. CheckpointMismatchError naming what differs if
    /// it was saved with another set-up (RunSetup: seed, settings, clients)
    /// or has more rounds done than config.rounds; ShapeError for the layout.
    void restore(const TrainingState<M>& state) {
        rounds_done_ = fedpp::detail::restore_state(state, global_, config_, client_sizes(), "the state");
    }

    /// restore() from a checkpoint file written by save_checkpoint(path,
    /// state()) or by run(): errors as load_checkpoint (CheckpointVersionError
    /// if its fedpp did not record the set-up) and restore() (the layout:
    /// CheckpointShapeError).
    void resume_from(const std::string& path) {
        const auto saved = fedpp::detail::load_training_state<M>(path);
        try {
            rounds_done_ =
                fedpp::detail::restore_state(saved, global_, config_, client_sizes(), "checkpoint '" + path + "'");
        } catch (const ShapeError& e) {
            throw CheckpointShapeError("checkpoint '" + path + "': " + e.what());
        }
    }

    /// The clients of round `round` (1-based), in increasing order.
    [[nodiscard]] std::vector<std::size_t> select_clients(std::size_t round) const {
        return fedpp::detail::select_clients(parties_.eligible, config_.client_fraction, config_.seed, round,
                                             config_.min_clients);
    }

private:
    using Collector = fedpp::detail::RoundCollector<M>;
    using Group = fedpp::detail::GroupResult<M>;
    using Outcome = fedpp::detail::ClientOutcome;

    /// Groups of consecutive clients per round, at most: the order in which
    /// updates are summed depends on it (and on the selection), never on the
    /// thread count.
    static constexpr std::size_t max_groups_per_round = 64;

    static std::size_t group_size(std::size_t selected) noexcept {
        return std::max<std::size_t>(1, (selected + max_groups_per_round - 1) / max_groups_per_round);
    }
    static std::size_t group_count(std::size_t selected) noexcept {
        const std::size_t group = group_size(selected);
        return (selected + group - 1) / group;
    }

    [[nodiscard]] bool streaming() const noexcept { return config_.aggregation == Aggregation::weighted_mean; }

    /// Trains the selected clients, group by group, on `threads` threads,
    /// handing each group to the collector.
    void train_round(const std::vector<std::size_t>& selected, std::size_t round, Collector& collector,
                     std::size_t threads) {
        const std::size_t group = group_size(selected.size());
        const std::size_t groups = group_count(selected.size());
        const Bytes global_bytes = to_bytes(global_); // sent to every selected client
        std::atomic<std::size_t> next{0};
        team_->run(threads, [&](std::size_t thread) {
            try {
                for (std::size_t g = next.fetch_add(1); g < groups && !collector.aborted(); g = next.fetch_add(1)) {
                    const std::size_t first = g * group;
                    const std::size_t last = std::min(first + group, selected.size());
                    const auto members = std::span(selected).subspan(first, last - first);
                    collector.complete(g, thread, train_group(members, round, global_bytes, collector, thread));
                }
            } catch (...) {
                // Client failures are results, not exceptions; this is the
                // aggregator failing (out of memory, say). The threads
                // waiting for this group's turn must not wait forever: the
                // round is abandoned, and run() rethrows the error.
                collector.abort();
                collector.release(thread);
                throw;
            }
            collector.release(thread);
        });
    }

    /// The round's metrics from the collector, and the new global model if
    /// enough valid updates arrived.
    void aggregate_round(Collector& collector, RoundMetrics& metrics) {
        metrics.failures = std::move(collector.failures);
        metrics.clients_aggregated = collector.aggregated;
        metrics.examples = collector.examples;
        metrics.train_loss = collector.examples > 0 ? collector.weighted_loss / double(collector.examples) : 0.0;
        metrics.aggregated = collector.aggregated >= config_.min_clients;
        if (!metrics.aggregated) {
            metrics.round_error = "only " + std::to_string(collector.aggregated) + " valid updates, min_clients is " +
                                  std::to_string(config_.min_clients) + "; the global model is unchanged";
            return;
        }
        switch (config_.aggregation) {
        case Aggregation::weighted_mean: global_ = average_of(sum_).get(); break;
        case Aggregation::coordinate_median: global_ = coordinate_median(collector.kept).get(); break;
        case Aggregation::trimmed_mean: global_ = trimmed_mean(collector.kept, config_.trim_fraction).get(); break;
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
            if (auto update = train_client(k, round, global_bytes, outcome)) {
                try {
                    add_update(group, std::move(*update), double(sizes_[k]));
                } catch (const std::exception& e) {
                    outcome.failure = std::string("rejected at the aggregator: ") + e.what();
                }
            }
            group.clients.push_back(std::move(outcome));
        }
        return group;
    }

    /// Checks an update at the aggregator (here, in parallel, so that adding
    /// the group sums in order is all that remains serial) and adds it to
    /// the group's sum, or keeps it for a robust aggregation.
    void add_update(Group& group, Pointer<M, Aggregator> update, double weight) {
        if (streaming()) {
            accumulate(*group.partial, std::move(update), weight);
        } else {
            validate(update, shapes_);
            group.updates.push_back(std::move(update));
        }
    }

    /// Client `k`'s part of round `round`: receive the global model, train
    /// it where the data is, and move the result to the aggregator. Empty,
    /// with the reason in outcome.failure, if the client failed.
    std::optional<Pointer<M, Aggregator>> train_client(std::size_t k, std::size_t round, const Bytes& global_bytes,
                                                       Outcome& outcome) {
        try {
            Worker<Client>& worker = *parties_.clients[k];
            auto model = fedpp::detail::send_encoded<M>(global_bytes, worker);
            const std::uint64_t seed = fedpp::detail::derive_seed(config_.seed, round, k + 1);
            outcome.loss = train_client_(worker, model, parties_.data[k], config_.local, seed, k, round);
            return model.move(aggregator_);
        } catch (const std::exception& e) {
            outcome.failure = e.what();
        } catch (...) {
            outcome.failure = "the client's training threw an exception that is not a std::exception";
        }
        return std::nullopt;
    }

    using TrainClient = double (*)(Worker<Client>&, const Pointer<M, Client>&, const Pointer<Dataset, Client>&,
                                   const training::LocalTraining&, std::uint64_t, std::uint64_t, std::uint64_t);

    /// Client training with update `Update`, run at the client's worker.
    template <class Update>
    static double train_client_with(Worker<Client>& worker, const Pointer<M, Client>& model,
                                    const Pointer<Dataset, Client>& data, const training::LocalTraining& local,
                                    std::uint64_t seed, std::uint64_t client, std::uint64_t round) {
        return worker.run(fedpp::detail::ClientTraining<M, Update>{}, model, data, local, seed, client, round).get();
    }

    [[nodiscard]] std::size_t worker_count() const {
        const std::size_t hardware = std::max(1u, std::thread::hardware_concurrency());
        return config_.threads == 0 ? hardware : config_.threads;
    }

    Config config_;
    TrainClient train_client_; // the client update's code, by type
    Dataset test_set_;
    M global_;
    fedpp::detail::RunParties<T> parties_;
    Worker<Aggregator>& aggregator_;
    const std::vector<std::size_t>& sizes_;
    fedpp::detail::ParameterShapes shapes_; // what every update must match (public: the model's layout)
    Pointer<WeightedSum<M>, Aggregator> sum_;
    std::unique_ptr<fedpp::detail::ThreadTeam> team_; // the threads clients train on, for the run's life
    std::size_t rounds_done_ = 0;
    bool clock_started_ = false;
    std::chrono::steady_clock::time_point first_start_;
};

} // namespace fedpp::federated
