// fedpp: the FedAvg algorithm (McMahan et al., 2017) over many clients.
//
//     federated::Config config;
//     config.client_fraction = 0.1;          // C
//     config.local.epochs = 1;               // E
//     config.local.batch_size = 10;          // B
//     config.local.learning_rate = 0.1;
//     federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), client_data, test_set, config);
//     run.run(federated::progress_printer(stdout));
//
// Each client is a Worker<Client> of its own: its data is sent there once and
// is only ever used there, by its local training. Each round the model owner
// samples max(1, round(C * K)) clients, sends each a copy of the global model,
// the clients train concurrently (one thread per core by default), each
// trained model moves directly to the trusted aggregator, where it is added
// to a running weighted sum (weight: the client's example count) and deleted;
// the average comes back to the model owner, which evaluates it on its
// held-out test set. Clients and the aggregator get the compile-time rules of
// located values like any worker: the model owner cannot read a client's
// model, and averaging only compiles at the aggregator.
//
// Order of the sum: the selected clients are cut into at most 64 groups of
// consecutive clients (ceil(n / 64) each; one client per group up to 64
// clients). One thread trains a whole group and adds its updates, in order,
// to a sum of the group's own at the aggregator; the group sums are added to
// the round's sum in group order. The thread that trained a group thus also
// sums it, while the updates are in its core's cache, and threads meet only
// once per group.
//
// Determinism: all randomness of round r (which clients, each client's batch
// order) derives from (seed, r, client), and the order of the sum depends on
// the selection only, never on which thread trained what, so the result is
// bitwise identical for any thread count, and a run resumed from a saved
// state continues exactly as if never stopped.
//
// Threads: a run keeps its threads (Config::threads) from its first round to
// its destruction.
//
// Memory: the sum, one group sum and one update in flight per thread, and a
// bounded number of group sums waiting for their turn: it grows with the
// model, not with the clients.
//
// Faults: a client whose training throws, or whose update has another
// layout or NaN/infinite values, is left out of the round, with the reason in
// the round's metrics. The round is aggregated if at least
// `config.min_clients` updates arrived; otherwise it fails and the global
// model stays as it was.
#pragma once

#include "fedpp/aggregation.hpp"
#include "fedpp/checkpoint.hpp"
#include "fedpp/codecs.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/errors.hpp"
#include "fedpp/federated/local_training.hpp"
#include "fedpp/federated/thread_team.hpp"
#include "fedpp/federation.hpp"
#include "fedpp/location.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/pointer.hpp"
#include "fedpp/random.hpp"
#include "fedpp/robust_aggregation.hpp"
#include "fedpp/worker.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// Where every client lives: one location type for thousands of runtime
/// workers ("client-0", "client-1", ...).
using Client = DataOwner<"client">;
/// The trusted party that aggregates.
using Aggregator = TrustedAggregator<"aggregator">;

/// How a round's updates are combined at the aggregator.
enum class Aggregation {
    weighted_mean,     ///< FedAvg: weighted by example counts; streaming (memory: one model)
    coordinate_median, ///< robust; unweighted; holds the round's updates at the aggregator
    trimmed_mean,      ///< robust; unweighted; drops trim_fraction of each end per coordinate
};

struct Config {
    std::size_t rounds = 100;
    double client_fraction = 0.1; ///< C, in (0, 1]; at least one client per round
    LocalTraining local;          ///< E, B, learning rate, ...
    std::uint64_t seed = 0;
    std::size_t threads = 0;      ///< clients trained at once; 0 = one per hardware thread
    std::size_t min_clients = 1;  ///< a round needs this many valid updates to be aggregated
    Aggregation aggregation = Aggregation::weighted_mean;
    double trim_fraction = 0.1;   ///< for Aggregation::trimmed_mean, in [0, 0.5)
    std::optional<double> target_accuracy; ///< run() stops at the first round reaching it
    std::size_t eval_batch = 1000;
    bool keep_transfer_log = false; ///< keep every transfer (memory grows); counts are always kept
    std::string checkpoint_path;    ///< if set, run() saves state() there (atomically) ...
    std::size_t checkpoint_every = 1; ///< ... every this many rounds, and after the last

    void validate() const {
        if (!(client_fraction > 0 && client_fraction <= 1)) {
            throw ArgumentError("federated::Config: the client fraction C must be in (0, 1], got " +
                                std::to_string(client_fraction));
        }
        if (aggregation == Aggregation::trimmed_mean && !(trim_fraction >= 0 && trim_fraction < 0.5)) {
            throw ArgumentError("federated::Config: the trim fraction must be in [0, 0.5), got " +
                                std::to_string(trim_fraction));
        }
        if (checkpoint_every == 0) {
            throw ArgumentError("federated::Config: checkpoint_every must be at least 1");
        }
        if (min_clients == 0) {
            throw ArgumentError("federated::Config: min_clients must be at least 1");
        }
        if (target_accuracy && !(*target_accuracy >= 0 && *target_accuracy <= 1)) {
            throw ArgumentError("federated::Config: the target accuracy is a fraction in [0, 1]");
        }
        local.validate();
    }
};

/// A client left out of a round, and why.
struct ClientFailure {
    std::size_t client = 0;
    std::string reason;
};

/// What happened in one round.
struct RoundMetrics {
    std::size_t round = 0;              ///< 1-based
    std::size_t clients_selected = 0;
    std::size_t clients_aggregated = 0; ///< valid updates added to the average
    std::size_t examples = 0;           ///< examples of the aggregated clients
    bool aggregated = false;            ///< false: too few valid updates, the global model is unchanged
    double train_loss = 0;              ///< mean local training loss, weighted by examples
    double test_loss = 0;               ///< of the global model after the round
    double test_accuracy = 0;
    double round_seconds = 0;
    double elapsed_seconds = 0;         ///< since the first round of this run() (or construction)
    std::vector<ClientFailure> failures; ///< clients left out, and why
    std::string round_error;             ///< why the round was not aggregated (empty if it was)
};

/// What a client does with the global model and its data: by default
/// train_locally. Replaceable (for other losses, or to inject faults in
/// tests). Runs at the client's worker; returns the mean training loss.
template <class M>
using ClientUpdate = std::function<double(M& model, const data::Dataset<typename M::scalar_type>& data,
                                          const LocalTraining& config, Generator& generator, std::size_t client,
                                          std::size_t round)>;

/// The part of a run that a checkpoint must hold to resume it exactly.
template <class M>
struct TrainingState {
    std::size_t rounds_done = 0;
    std::uint64_t seed = 0;
    M global_model;
};

namespace detail {
/// SplitMix64's finaliser: a well-mixed 64-bit value from any input.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// The seed of the generator for (seed, round, stream): selection uses
/// stream 0, client c uses stream c + 1.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t round, std::uint64_t stream) noexcept {
    return mix64(mix64(mix64(seed) ^ round) ^ stream);
}
} // namespace detail

template <nn::Model M>
class FederatedAveraging {
public:
    using T = typename M::scalar_type;
    using Dataset = data::Dataset<T>;

    /// Places client k's data on worker "client-k" (client data sets may be
    /// empty: such clients are never selected). ArgumentError for a bad
    /// config or no client with data.
    FederatedAveraging(M initial_model, const std::vector<Dataset>& client_data, Dataset test_set, Config config,
                       ClientUpdate<M> client_update = default_client_update())
        : config_(std::move(config)), client_update_(std::move(client_update)), test_set_(std::move(test_set)),
          global_(std::move(initial_model)), aggregator_(federation_) {
        config_.validate();
        federation_.transfers().keep_entries(config_.keep_transfer_log);
        clients_.reserve(client_data.size());
        data_.reserve(client_data.size());
        for (std::size_t k = 0; k < client_data.size(); ++k) {
            clients_.push_back(std::make_unique<Worker<Client>>(federation_, "client-" + std::to_string(k)));
            data_.push_back(send(client_data[k], *clients_.back()));
            // The example count is public (FedAvg weighs by it); the data is not.
            sizes_.push_back(static_cast<std::size_t>(clients_.back()
                                                          ->run([](Dataset& d) { return std::int64_t{d.size()}; },
                                                                data_.back())
                                                          .get()));
            if (sizes_.back() > 0) {
                eligible_.push_back(k);
            }
        }
        if (eligible_.empty()) {
            throw ArgumentError("FederatedAveraging: no client has any data");
        }
        shapes_ = fedpp::detail::shapes_of(global_);
        sum_ = send(WeightedSum<M>(global_), aggregator_);
        // No more threads than a round has groups of clients to give them.
        team_ = std::make_unique<detail::ThreadTeam>(std::min(worker_count(), max_groups_per_round));
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

        // Consecutive selected clients form groups (their number depends on
        // the selection only, never on the threads); a thread trains a whole
        // group and sums its updates at the aggregator; the group sums are
        // added to the round's sum in order.
        const std::size_t group = group_size(selected.size());
        const std::size_t groups = (selected.size() + group - 1) / group;
        const std::size_t thread_count = std::min(team_->size(), groups);
        // The sum starts empty: whatever an earlier round left in it (the
        // last round's sum, or part of one that threw) is not this round's.
        aggregator_.run([](WeightedSum<M>& s) { s.reset(); }, sum_);
        RoundCollector collector(*this, thread_count);
        const Bytes global_bytes = to_bytes(global_); // sent to every selected client
        std::atomic<std::size_t> next{0};
        team_->run(thread_count, [&](std::size_t thread) {
            try {
                for (std::size_t g = next.fetch_add(1); g < groups && !collector.aborted(); g = next.fetch_add(1)) {
                    const std::size_t first = g * group;
                    const std::size_t last = std::min(first + group, selected.size());
                    collector.complete(g, thread,
                                       train_group(std::span(selected).subspan(first, last - first), round,
                                                   global_bytes, collector, thread));
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

        metrics.failures = std::move(collector.failures);
        metrics.clients_aggregated = collector.aggregated;
        metrics.examples = collector.examples;
        metrics.train_loss = collector.examples > 0 ? collector.weighted_loss / double(collector.examples) : 0.0;
        metrics.aggregated = collector.aggregated >= config_.min_clients;
        if (metrics.aggregated) {
            switch (config_.aggregation) {
            case Aggregation::weighted_mean: global_ = average_of(sum_).get(); break;
            case Aggregation::coordinate_median: global_ = coordinate_median(collector.kept).get(); break;
            case Aggregation::trimmed_mean: global_ = trimmed_mean(collector.kept, config_.trim_fraction).get(); break;
            }
        } else {
            metrics.round_error = "only " + std::to_string(collector.aggregated) + " valid updates, min_clients is " +
                                  std::to_string(config_.min_clients) + "; the global model is unchanged";
        }
        rounds_done_ = round;

        const Evaluation evaluation = evaluate(global_, test_set_, config_.eval_batch);
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
    [[nodiscard]] std::size_t client_count() const noexcept { return clients_.size(); }
    [[nodiscard]] const std::vector<std::size_t>& client_sizes() const noexcept { return sizes_; }
    [[nodiscard]] const Config& config() const noexcept { return config_; }
    [[nodiscard]] Federation& federation() noexcept { return federation_; }
    [[nodiscard]] const Worker<Aggregator>& aggregator() const noexcept { return aggregator_; }
    [[nodiscard]] const Worker<Client>& client(std::size_t k) const { return *clients_.at(k); }

    /// Everything needed to continue this run later.
    [[nodiscard]] TrainingState<M> state() const { return {rounds_done_, config_.seed, global_.copy()}; }

    /// Continues from `state` (saved by a run with the same seed, clients and
    /// config). ArgumentError if the seed differs or the model's layout does.
    void restore(const TrainingState<M>& state) {
        if (state.seed != config_.seed) {
            throw ArgumentError("FederatedAveraging::restore: the state was saved by a run with seed " +
                                std::to_string(state.seed) + ", this run has seed " + std::to_string(config_.seed));
        }
        nn::load_parameters(global_, state.global_model); // ShapeError if the layouts differ
        rounds_done_ = state.rounds_done;
    }

    /// restore() from a checkpoint file written by save_checkpoint(path,
    /// state()) (or by run() with config.checkpoint_path). Checkpoint errors
    /// as load_checkpoint; CheckpointShapeError if the saved model's layout
    /// differs from this run's.
    void resume_from(const std::string& path) {
        const auto saved = load_checkpoint<TrainingState<M>>(path);
        try {
            restore(saved);
        } catch (const ShapeError& e) {
            throw CheckpointShapeError("checkpoint '" + path + "': " + e.what());
        }
    }

    /// The clients of round `round` (1-based), in increasing order.
    [[nodiscard]] std::vector<std::size_t> select_clients(std::size_t round) const {
        const std::size_t pool = eligible_.size();
        const auto wanted = static_cast<std::size_t>(std::llround(config_.client_fraction * double(pool)));
        const std::size_t count = std::clamp<std::size_t>(wanted, 1, pool);
        Generator generator(detail::derive_seed(config_.seed, round, 0));
        std::vector<std::size_t> chosen = eligible_;
        for (std::size_t i = 0; i < count; ++i) { // partial Fisher-Yates
            std::swap(chosen[i], chosen[i + generator.below(pool - i)]);
        }
        chosen.resize(count);
        std::sort(chosen.begin(), chosen.end());
        return chosen;
    }

    static ClientUpdate<M> default_client_update() {
        return [](M& model, const Dataset& data, const LocalTraining& local, Generator& generator, std::size_t,
                  std::size_t) { return train_locally(model, data, local, generator); };
    }

private:
    /// Groups of consecutive clients per round, at most: the order in which
    /// updates are summed depends on it (and on the selection), never on the
    /// thread count.
    static constexpr std::size_t max_groups_per_round = 64;

    static std::size_t group_size(std::size_t selected) noexcept {
        return std::max<std::size_t>(1, (selected + max_groups_per_round - 1) / max_groups_per_round);
    }

    /// What became of one client of a group.
    struct ClientOutcome {
        std::size_t client = 0;
        double loss = 0;
        std::string failure; ///< empty: its update is in the group's sum
    };

    /// A group's work, at the aggregator: the weighted sum of its valid
    /// updates (weighted_mean), or the updates themselves (the robust
    /// aggregations, which need them all at the end of the round).
    struct GroupResult {
        std::size_t thread = 0; ///< the thread that trained it
        std::optional<Pointer<WeightedSum<M>, Aggregator>> partial;
        std::vector<Pointer<M, Aggregator>> updates;
        std::vector<ClientOutcome> clients;
    };

    /// Adds group sums to the round's sum in group order, whichever thread
    /// finished them: a group that finishes early waits (at the aggregator)
    /// until its predecessors are in. At most `capacity` groups wait; a
    /// thread with another one blocks until there is room, which bounds
    /// memory. One thread at a time adds (the "drainer"), outside the lock,
    /// so that the others can hand in their groups meanwhile.
    ///
    /// A partial sum, once added, goes back to the thread that filled it,
    /// which reuses it for its next group of the round and deletes it at the
    /// round's end: a thread's sums stay in its core's cache, and its memory
    /// is freed where it was allocated.
    class RoundCollector {
    public:
        RoundCollector(FederatedAveraging& run, std::size_t threads)
            : run_(run), capacity_(2 * threads + 1), returned_(threads) {}

        /// An empty partial sum for thread `thread`'s next group.
        Pointer<WeightedSum<M>, Aggregator> take_partial(std::size_t thread) {
            std::optional<Pointer<WeightedSum<M>, Aggregator>> reused;
            {
                const std::lock_guard lock(mutex_);
                auto& mine = returned_[thread];
                if (!mine.empty()) {
                    reused.emplace(std::move(mine.back()));
                    mine.pop_back();
                }
            }
            if (reused) {
                run_.aggregator_.run([](WeightedSum<M>& sum) { sum.reset(); }, *reused);
                return std::move(*reused);
            }
            return send(WeightedSum<M>(run_.global_), run_.aggregator_);
        }

        /// Hands in group `index`, computed by thread `thread`. Once the
        /// round is abandoned (abort()), drops the group and returns at once.
        void complete(std::size_t index, std::size_t thread, GroupResult result) {
            result.thread = thread;
            std::unique_lock lock(mutex_);
            room_.wait(lock, [&] { return aborted_ || index == next_ || waiting_.size() < capacity_; });
            if (aborted_) {
                return;
            }
            waiting_.emplace(index, std::move(result));
            if (draining_) {
                return; // the drainer will add it in its turn
            }
            draining_ = true;
            while (!aborted_ && !waiting_.empty() && waiting_.begin()->first == next_) {
                GroupResult ready = std::move(waiting_.begin()->second);
                waiting_.erase(waiting_.begin());
                lock.unlock();
                try {
                    add(ready);
                } catch (...) {
                    lock.lock();
                    draining_ = false;
                    throw; // the caller aborts the round
                }
                lock.lock();
                if (ready.partial) {
                    returned_[ready.thread].push_back(std::move(*ready.partial));
                }
                ++next_;
                room_.notify_all();
            }
            draining_ = false;
        }

        /// Abandons the round: threads waiting for their turn return, and
        /// no more groups are taken or added.
        void abort() noexcept {
            {
                const std::lock_guard lock(mutex_);
                aborted_ = true;
            }
            room_.notify_all();
        }

        [[nodiscard]] bool aborted() {
            const std::lock_guard lock(mutex_);
            return aborted_;
        }

        /// Deletes thread `thread`'s partial sums (its last call of the round).
        void release(std::size_t thread) {
            std::vector<Pointer<WeightedSum<M>, Aggregator>> mine;
            const std::lock_guard lock(mutex_);
            mine.swap(returned_[thread]);
        }

        std::vector<ClientFailure> failures;
        std::size_t aggregated = 0;
        std::size_t examples = 0;
        double weighted_loss = 0;
        /// The valid updates, in client order, for the non-streaming aggregations.
        std::vector<Pointer<M, Aggregator>> kept;

    private:
        void add(GroupResult& result) {
            bool any = false;
            for (ClientOutcome& outcome : result.clients) {
                if (!outcome.failure.empty()) {
                    failures.push_back({outcome.client, std::move(outcome.failure)});
                    continue;
                }
                const std::size_t n = run_.sizes_[outcome.client];
                ++aggregated;
                examples += n;
                weighted_loss += outcome.loss * double(n);
                any = true;
            }
            if (!any) {
                return;
            }
            if (run_.config_.aggregation == Aggregation::weighted_mean) {
                run_.aggregator_.run([](WeightedSum<M>& sum, const WeightedSum<M>& group) { sum.merge(group); },
                                     run_.sum_, *result.partial);
            } else {
                for (auto& update : result.updates) {
                    kept.push_back(std::move(update));
                }
            }
        }

        FederatedAveraging& run_;
        std::size_t capacity_;
        std::mutex mutex_;
        std::condition_variable room_;
        std::map<std::size_t, GroupResult> waiting_;
        std::vector<std::vector<Pointer<WeightedSum<M>, Aggregator>>> returned_; // by the thread that filled them
        std::size_t next_ = 0;
        bool draining_ = false;
        bool aborted_ = false;
    };

    /// A group of clients, in order, by one thread: each client's part of
    /// the round (train_client), its update checked and added to the group's
    /// sum at the aggregator, then deleted.
    GroupResult train_group(std::span<const std::size_t> clients, std::size_t round, const Bytes& global_bytes,
                            RoundCollector& collector, std::size_t thread) {
        GroupResult group;
        const bool streaming = config_.aggregation == Aggregation::weighted_mean;
        if (streaming) {
            try {
                group.partial.emplace(collector.take_partial(thread));
            } catch (const std::exception& e) {
                for (const std::size_t k : clients) {
                    group.clients.push_back({k, 0.0, std::string("the aggregator could not start a sum: ") + e.what()});
                }
                return group;
            }
        }
        for (const std::size_t k : clients) {
            ClientOutcome outcome;
            outcome.client = k;
            auto update = train_client(k, round, global_bytes, outcome);
            if (update) {
                try {
                    const double n = double(sizes_[k]);
                    if (streaming) {
                        aggregator_.run(
                            [this, n](WeightedSum<M>& sum, const M& candidate) {
                                // Checked here, in parallel, so that adding
                                // the group sums in order is all that
                                // remains serial.
                                fedpp::detail::check_update("federated round", shapes_, candidate);
                                sum.add(candidate, n, fedpp::detail::CheckedUpdate{});
                            },
                            *group.partial, *update);
                    } else {
                        aggregator_.run(
                            [this](const M& candidate) {
                                fedpp::detail::check_update("federated round", shapes_, candidate);
                            },
                            *update);
                        group.updates.push_back(std::move(*update));
                    }
                } catch (const std::exception& e) {
                    outcome.failure = std::string("rejected at the aggregator: ") + e.what();
                }
            }
            group.clients.push_back(std::move(outcome));
        }
        return group;
    }

    /// Client `k`'s part of round `round`: receive the global model, train
    /// it where the data is, and move the result to the aggregator. Empty,
    /// with the reason in outcome.failure, if the client failed.
    std::optional<Pointer<M, Aggregator>> train_client(std::size_t k, std::size_t round, const Bytes& global_bytes,
                                                       ClientOutcome& outcome) {
        try {
            Worker<Client>& worker = *clients_[k];
            auto model = send_encoded(global_bytes, worker);
            auto update = [this, k, round](M& m, Dataset& d) {
                Generator generator(detail::derive_seed(config_.seed, round, k + 1));
                return client_update_(m, d, config_.local, generator, k, round);
            };
            outcome.loss = worker.run(update, model, data_[k]).get();
            return model.move(aggregator_);
        } catch (const std::exception& e) {
            outcome.failure = e.what();
        } catch (...) {
            outcome.failure = "the client's training threw an exception that is not a std::exception";
        }
        return std::nullopt;
    }

    /// send(global_, worker), with the bytes encoded once per round.
    Pointer<M, Client> send_encoded(const Bytes& bytes, Worker<Client>& worker) {
        fedpp::detail::Request request;
        request.operation = fedpp::detail::Operation::store;
        request.from = model_owner_id;
        request.to = worker.id();
        request.type = &fedpp::detail::value_type<M>();
        request.payload = bytes;
        const ObjectId id = worker.seam()->call(request).object;
        return fedpp::detail::PointerAccess::make<M, Client>(worker.seam(), worker.id(), id);
    }

    [[nodiscard]] std::size_t worker_count() const {
        const std::size_t hardware = std::max(1u, std::thread::hardware_concurrency());
        return config_.threads == 0 ? hardware : config_.threads;
    }

    Config config_;
    ClientUpdate<M> client_update_;
    Dataset test_set_;
    M global_;
    Federation federation_;
    Worker<Aggregator> aggregator_;
    std::vector<std::unique_ptr<Worker<Client>>> clients_;
    std::vector<Pointer<Dataset, Client>> data_;
    std::vector<std::size_t> sizes_;
    std::vector<std::size_t> eligible_;
    fedpp::detail::ParameterShapes shapes_; // what every update must match (public: the model's layout)
    Pointer<WeightedSum<M>, Aggregator> sum_;
    std::unique_ptr<detail::ThreadTeam> team_; // the threads clients train on, for the run's life
    std::size_t rounds_done_ = 0;
    bool clock_started_ = false;
    std::chrono::steady_clock::time_point first_start_;
};

} // namespace fedpp::federated

namespace fedpp {
template <class M>
struct Codec<federated::TrainingState<M>> {
    static std::string type_name() { return "fedpp::federated::TrainingState<" + Codec<M>::type_name() + ">"; }
    static void encode(const federated::TrainingState<M>& state, ByteWriter& out) {
        out.write<std::uint64_t>(state.rounds_done);
        out.write<std::uint64_t>(state.seed);
        Codec<M>::encode(state.global_model, out);
    }
    static federated::TrainingState<M> decode(ByteReader& in) {
        const auto rounds = in.read<std::uint64_t>();
        const auto seed = in.read<std::uint64_t>();
        return {static_cast<std::size_t>(rounds), seed, Codec<M>::decode(in)};
    }
};
} // namespace fedpp
