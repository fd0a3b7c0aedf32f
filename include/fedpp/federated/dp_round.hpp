// fedpp: a DP-FedAvg round's parts at the client and at the model owner
// (see dp_config.hpp; the aggregator's are in dp_aggregation.hpp).
//
// At the client (DpClientTraining): the client update trains a copy of the
// global model; the update trained - global is clipped to the round's clip
// norm, replaces the model (it is what moves to the aggregator), and the
// computation's result, left at the client's worker, is 1 if the update
// was within the clip norm, else 0. With adaptive clipping that indicator
// moves to the aggregator, which counts them with noise; the model owner
// reads neither it nor the client's training loss (a DP run's metrics have
// no train_loss: a client's loss is not covered by the accountant).
//
// At the model owner (DpRun): Poisson sampling of the clients, each
// client's weight and the fixed denominator, the clip norm and the noise
// of the round, and the accountant.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/federated/client_update.hpp"
#include "fedpp/federated/dp_aggregation.hpp"
#include "fedpp/federated/dp_config.hpp"
#include "fedpp/federated/dp_state.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/parties.hpp"
#include "fedpp/federated/run_end.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/federated/state.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/io/checkpoint_errors.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/privacy/clipping.hpp"
#include "fedpp/privacy/dp_estimator.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The generator streams of a DP round's noise (stream 0 is the selection,
/// c + 1 client c's: no run has 2^63 clients).
inline constexpr std::uint64_t dp_noise_stream = std::uint64_t{1} << 63;
inline constexpr std::uint64_t dp_count_stream = dp_noise_stream + 1;

/// Client `client`'s DP training in round `round`, run at its worker (see
/// the file comment).
template <class M, class F>
struct DpClientTraining {
    using Dataset = data::Dataset<typename M::scalar_type>;

    double operator()(M& model, Dataset& data, const training::LocalTraining& local, const std::uint64_t& seed,
                      const std::uint64_t& client, const std::uint64_t& round, const double& clip_norm) const {
        const M global = model.copy();
        (void)ClientTraining<M, F>{}(model, data, local, seed, client, round);
        M update = privacy::model_update(model, global);
        const privacy::ClipResult clip = privacy::clip_l2(update, clip_norm);
        nn::load_parameters(model, update);
        return clip.clipped ? 0.0 : 1.0;
    }

    static std::string computation_name() { return wrapped_computation_name<M, F>("fedpp.federated.dp:"); }
};

/// DP client training, by type: leaves the clipped update in `model` and
/// returns the indicator, at the client.
template <class M>
using DpTrainClient = Pointer<double, federated::Client> (*)(
    Worker<federated::Client>&, const Pointer<M, federated::Client>&,
    const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>&, const training::LocalTraining&,
    std::uint64_t, std::uint64_t, std::uint64_t, double);

template <class M, class Update>
Pointer<double, federated::Client>
dp_train_client_with(Worker<federated::Client>& worker, const Pointer<M, federated::Client>& model,
                     const Pointer<data::Dataset<typename M::scalar_type>, federated::Client>& data,
                     const training::LocalTraining& local, std::uint64_t seed, std::uint64_t client,
                     std::uint64_t round, double clip_norm) {
    return worker.run(DpClientTraining<M, Update>{}, model, data, local, seed, client, round, clip_norm);
}

/// A client update's code, by type: plain, and with DP clipping.
template <class M>
struct ClientTrainers {
    TrainClient<M> plain;
    DpTrainClient<M> dp;
};

/// The code of client update `Update` for models `M`.
template <class M, class Update>
inline constexpr ClientTrainers<M> client_trainers{&train_client_with<M, Update>, &dp_train_client_with<M, Update>};

/// A client's update at the aggregator, and (adaptive clipping) its
/// indicator there.
template <class M>
struct TrainedUpdate {
    Pointer<M, federated::Aggregator> model;
    std::optional<Pointer<double, federated::Aggregator>> unclipped;
};

/// The model owner's side of a DP run (see the file comment).
class DpRun {
public:
    /// q: the sampling rate; sizes: every client's example count; eligible:
    /// the clients with data.
    DpRun(const federated::DpConfig& config, double q, const std::vector<std::size_t>& sizes,
          const std::vector<std::size_t>& eligible)
        : config_(config), q_(q) {
        weigh(sizes);
        if (config.adaptive) {
            state_.adaptive.emplace(config.noise_multiplier, q * static_cast<double>(eligible.size()),
                                    *config.adaptive);
        }
    }

    /// The clients' weights and the fixed denominator again, for clients of
    /// `sizes` examples (clients reached after the start). Neither q nor z
    /// changes, so neither does what a round spends; adaptive clipping's
    /// count noise was set for the clients reached at the start
    /// (ArgumentError).
    void reweigh(const std::vector<std::size_t>& sizes) {
        if (std::string why = late_client_refusal(); !why.empty()) {
            throw ArgumentError(why);
        }
        weigh(sizes);
    }
    /// The clients' weights and the fixed denominator for clients of `sizes`
    /// examples; ArgumentError if none has any.
    struct Weights {
        std::vector<double> weights;
        double denominator = 0;
    };
    [[nodiscard]] Weights weights_for(const std::vector<std::size_t>& sizes) const {
        std::vector<double> weights = privacy::client_weights(config_.estimator, sizes, config_.weight_cap);
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            if (sizes[k] == 0) {
                weights[k] = 0; // never selected
            }
        }
        const double denominator = privacy::fixed_denominator(q_, weights);
        return {std::move(weights), denominator};
    }
    /// Why reweigh() is refused ("" if it is not).
    [[nodiscard]] std::string late_client_refusal() const {
        if (!state_.adaptive) {
            return {};
        }
        return "a DP run with adaptive clipping cannot take in clients reached after its start: the noise on its "
               "count of unclipped updates was set for the clients it started with; start the run again with "
               "every client reachable";
    }

    /// Each eligible client independently with probability q, for round
    /// `round`, from `seed` alone; in increasing order.
    [[nodiscard]] std::vector<std::size_t> select(const std::vector<std::size_t>& eligible, std::uint64_t seed,
                                                  std::size_t round) const {
        Generator generator(derive_seed(seed, round, 0));
        std::vector<std::size_t> chosen;
        for (const std::size_t k : eligible) {
            if (generator.uniform01() < q_) {
                chosen.push_back(k);
            }
        }
        return chosen;
    }

    [[nodiscard]] double clip_norm() const noexcept {
        return state_.adaptive ? state_.adaptive->norm() : config_.clip_norm;
    }
    /// The standard deviation of the noise on this round's sum.
    [[nodiscard]] double noise_stddev() const noexcept {
        return state_.adaptive ? state_.adaptive->sum_stddev() : config_.noise_multiplier * config_.clip_norm;
    }
    [[nodiscard]] double weight(std::size_t client) const { return weights_.at(client); }
    [[nodiscard]] double denominator() const noexcept { return denominator_; }
    [[nodiscard]] bool adaptive() const noexcept { return state_.adaptive.has_value(); }
    [[nodiscard]] const privacy::AdaptiveClipping& clipping() const { return *state_.adaptive; }
    void set_clipping(privacy::AdaptiveClipping next) { state_.adaptive = std::move(next); }

    /// epsilon spent so far, at the configured delta.
    [[nodiscard]] double epsilon() const { return state_.accountant.epsilon(config_.delta); }
    /// Whether the budget (if any) allows one more round.
    [[nodiscard]] bool next_round_affordable() const {
        return federated::dp_round_affordable(state_.accountant, q_, config_);
    }
    /// One more step of the mechanism, whatever the round will release,
    /// charged to this run (charge_dp_round) or to a copy of its state.
    void charge() { charge(state_); }
    void charge(federated::DpState& state) const { state.accountant.add_steps(q_, config_.noise_multiplier); }

    /// The seed of round `round`'s noise on stream `stream` (charged
    /// already): derive_seed(seed, round, stream), mixed with how many times
    /// the round was charged before (a round run again after a restart, or
    /// after an exception, charge_dp_round), so that a round run again never
    /// draws the noise of its first run for what may be another sum (the
    /// difference of two releases would then have no noise). Runs never run
    /// again draw as they always did.
    [[nodiscard]] std::uint64_t noise_seed(std::uint64_t seed, std::size_t round, std::uint64_t stream) const {
        const std::uint64_t seed_of_round = derive_seed(seed, round, stream);
        const std::uint64_t charged_before = state_.accountant.steps() - round;
        return charged_before == 0 ? seed_of_round : mix64(seed_of_round ^ charged_before);
    }

    [[nodiscard]] const federated::DpState& state() const noexcept { return state_; }
    /// CheckpointMismatchError if a saved state does not fit this run's
    /// settings (adaptive or fixed clipping), accounts fewer rounds than its
    /// `rounds_done` (more are rounds charged before they ran, and run again
    /// after a restart: charge_dp_round), or holds rounds of another
    /// mechanism than this run's (q, z), or adaptive clipping for another z:
    /// a state edited to spend less, or to draw less noise, is refused.
    void check_restorable(const federated::DpState& saved, std::size_t rounds_done) const {
        const auto refuse = [](const std::string& why) {
            throw CheckpointMismatchError("the saved DP state does not fit this run: " + why);
        };
        if (saved.adaptive.has_value() != state_.adaptive.has_value()) {
            refuse(std::string(saved.adaptive ? "adaptive" : "fixed") + " clipping, this run's is " +
                   (state_.adaptive ? "adaptive" : "fixed"));
        }
        if (saved.accountant.steps() < rounds_done) {
            refuse("it accounts " + std::to_string(saved.accountant.steps()) + " of its " +
                   std::to_string(rounds_done) + " rounds done");
        }
        const double z = config_.noise_multiplier;
        for (const privacy::RdpAccountant::Segment& segment : saved.accountant.history()) {
            if (segment.sampling_rate != q_ || segment.noise_multiplier != z) {
                refuse("it accounts rounds with q = " + exact_text(segment.sampling_rate) + " and z = " +
                       exact_text(segment.noise_multiplier) + ", this run's are q = " + exact_text(q_) +
                       " and z = " + exact_text(z));
            }
        }
        if (saved.adaptive && saved.adaptive->noise_multiplier() != z) {
            refuse("its adaptive clipping has z = " + exact_text(saved.adaptive->noise_multiplier()) +
                   ", this run's is " + exact_text(z));
        }
    }
    /// Continues from a saved state that check_restorable() accepted, with
    /// weights_for() its clients (whatever the clipping: its count noise is
    /// restored with its state).
    void take(federated::DpState saved, Weights weights) noexcept {
        state_ = std::move(saved);
        set_weights(std::move(weights));
    }

private:
    void weigh(const std::vector<std::size_t>& sizes) { set_weights(weights_for(sizes)); }
    void set_weights(Weights next) noexcept {
        weights_ = std::move(next.weights);
        denominator_ = next.denominator;
    }

    federated::DpConfig config_;
    double q_;
    std::vector<double> weights_;
    double denominator_ = 0;
    federated::DpState state_;
};

/// The aggregator's part of DP round `round` of a run seeded `seed`: the
/// noised estimate added to `global` there, released; the adaptive clip
/// norm moved on by the noised count of `indicators`.
template <class M>
M dp_release_round(DpRun& run, const Pointer<WeightedSum<M>, federated::Aggregator>& sum, const M& global,
                   Worker<federated::Aggregator>& aggregator,
                   std::span<const Pointer<double, federated::Aggregator>> indicators, std::uint64_t seed,
                   std::size_t round) {
    const auto global_there = send(global.copy(), aggregator);
    M next = federated::dp::release_noised(sum, global_there, run.noise_stddev(), run.denominator(),
                                           run.noise_seed(seed, round, dp_noise_stream))
                 .get();
    if (run.adaptive()) {
        run.set_clipping(federated::dp::count_unclipped(indicators, run.clipping(),
                                                        run.noise_seed(seed, round, dp_count_stream))
                             .get()
                             .release());
    }
    return next;
}

/// The DP round about to run is charged before anything of it runs, so one
/// that throws (after its release, or before) stays charged; with a
/// checkpoint path, the run's state before the round (`state_before()`) is
/// saved first with that charge, so a model owner stopped after a release
/// and before the round's own checkpoint resumes charged for it. A round
/// run again is charged again, and draws fresh noise (DpRun::noise_seed):
/// its clients may not make the same sum. CheckpointIoError if that save
/// fails: nothing charged, nothing run.
template <class StateBefore>
void charge_dp_round(DpRun& run, const std::string& checkpoint_path, const StateBefore& state_before) {
    if (!checkpoint_path.empty()) {
        auto charged = state_before();
        run.charge(*charged.dp);
        save_checkpoint(checkpoint_path, charged);
    }
    run.charge();
}

/// A DP round ran (released or not; charged before it ran): the metrics
/// say what has been spent.
inline void close_dp_round(const DpRun& run, federated::RoundMetrics& metrics) {
    metrics.epsilon = run.epsilon();
    metrics.budget_reached = !run.next_round_affordable();
}

} // namespace fedpp::detail
