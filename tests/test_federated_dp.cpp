// Differentially private federated averaging (Config::dp): clipping at the
// client, checked at the aggregator; noise; accounting; budgets; bitwise
// reproducibility across threads and checkpoints.
#include "data_files.hpp"

#include "blobs.hpp"
#include "progress_line.hpp"

#include <fedpp/federated.hpp>
#include <fedpp/privacy/rdp_accountant.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

using fedpp::federated::Config;
using fedpp::federated::FederatedAveraging;
using Model = fedpp::nn::Sequential<float>;
using Dataset = fedpp::data::Dataset<float>;

namespace {
Dataset blobs(std::size_t n, std::uint64_t seed) { return synthetic::points(n, seed); }
std::vector<Dataset> client_sets(std::size_t clients, std::uint64_t seed) { return synthetic::client_sets(clients, seed); }
Model small_mlp(std::uint64_t seed = 11) { return synthetic::small_mlp(seed); }

Config dp_config(bool adaptive = false) {
    Config config;
    config.rounds = 6;
    config.client_fraction = 0.3; // q
    config.local.epochs = 1;
    config.local.batch_size = 8;
    config.local.learning_rate = 0.1;
    config.seed = 77;
    config.threads = 1;
    config.dp = fedpp::federated::DpConfig{};
    config.dp->noise_multiplier = 0.8;
    if (adaptive) { // from its own initial norm, 0.1
        config.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
    } else {
        config.dp->clip_norm = 0.5;
    }
    return config;
}

fedpp::Bytes model_bytes(const Model& model) { return fedpp::to_bytes(model); }
} // namespace

TEST_CASE("a DP run samples clients by Poisson sampling and reports epsilon as privacy::epsilon",
          "[federated][dp]") {
    const auto config = dp_config();
    FederatedAveraging<Model> run(small_mlp(), client_sets(40, 1), blobs(200, 99), config);
    std::set<std::size_t> sizes;
    for (std::size_t round = 1; round <= 30; ++round) {
        sizes.insert(run.select_clients(round).size());
    }
    CHECK(sizes.size() > 3); // the round's number of clients is random
    const auto all = run.run();
    REQUIRE(all.size() == config.rounds);
    for (const auto& m : all) {
        REQUIRE(m.epsilon.has_value());
        CHECK(*m.epsilon == fedpp::privacy::epsilon(0.3, 0.8, m.round, 1e-5));
        CHECK(m.clip_norm == 0.5);
        CHECK_FALSE(m.train_loss.has_value()); // a client's loss is not released in a DP run
    }
    CHECK(*run.epsilon() == *all.back().epsilon);
}

TEST_CASE("a DP round that selects no client is a round not aggregated, and is accounted", "[federated][dp]") {
    // With q = 0.05 and 10 clients, (0.95)^10 = 60% of rounds select no
    // one. Such a round once took no thread slot, and crashed.
    for (const std::size_t threads : {1, 2}) {
        auto config = dp_config();
        config.client_fraction = 0.05;
        config.threads = threads;
        FederatedAveraging<Model> run(small_mlp(), client_sets(10, 1), blobs(60, 99), config);
        std::size_t empty = 0;
        for (const auto& m : run.run()) {
            if (m.clients_selected == 0) {
                ++empty;
                CHECK_FALSE(m.aggregated);
                CHECK_THAT(m.round_error, Catch::Contains("no client was selected"));
            }
            CHECK(*m.epsilon == fedpp::privacy::epsilon(0.05, 0.8, m.round, 1e-5));
        }
        CHECK(empty > 0); // (the seed's selection: otherwise this test measures nothing)
    }
}

TEST_CASE("a DP release that is not finite (absurd noise) leaves the model as it was, and says why",
          "[federated][dp]") {
    auto config = dp_config();
    config.client_fraction = 1.0;
    config.dp->noise_multiplier = 1e300; // finite, and valid; its noise is not, in float
    FederatedAveraging<Model> run(small_mlp(), client_sets(10, 1), blobs(60, 99), config);
    const auto m = run.run_round();
    CHECK_FALSE(m.aggregated);
    CHECK_THAT(m.round_error, Catch::Contains("of the released model holds NaN or infinite values"));
    CHECK(model_bytes(run.global_model()) == model_bytes(small_mlp()));
    // The twin: the usual noise is released.
    config.dp->noise_multiplier = 0.8;
    FederatedAveraging<Model> usual(small_mlp(), client_sets(10, 1), blobs(60, 99), config);
    CHECK(usual.run_round().aggregated);
}

TEST_CASE("every update a DP run adds at the aggregator is within the clip norm", "[federated][dp]") {
    auto config = dp_config();
    config.rounds = 2;
    // A client update that returns a huge model: its update is clipped where
    // the client is, and the aggregator, which checks every update's norm
    // against the clip norm, accepts them all.
    auto huge = [](Model& model, const Dataset& d, const fedpp::training::LocalTraining& local,
                   fedpp::Generator& generator, std::size_t, std::size_t) -> double {
        const double loss = fedpp::training::train_locally(model, d, local, generator);
        for (auto& p : model.parameters()) {
            p.value() *= 1000.0f;
        }
        return loss;
    };
    FederatedAveraging<Model> run(small_mlp(), client_sets(30, 2), blobs(100, 98), config, huge);
    for (const auto& m : run.run()) {
        CHECK(m.failures.empty());
        CHECK(m.clients_aggregated == m.clients_selected);
    }

    // The aggregator's check: an update beyond the bound is refused there.
    fedpp::Federation federation;
    fedpp::Worker<fedpp::federated::Aggregator> aggregator(federation);
    fedpp::Worker<fedpp::federated::Client> client(federation, "client-0");
    Model update = small_mlp(3);
    const double norm = fedpp::privacy::l2_norm(update);
    auto sum = fedpp::send(fedpp::WeightedSum<Model>(update), aggregator);
    CHECK_THROWS_MATCHES(fedpp::federated::dp::accumulate_clipped(sum, fedpp::send(update.copy(), client)
                                                                           .move(aggregator),
                                                                  1.0, norm * 0.99),
                         fedpp::AggregationError, MessageContains("exceeds the clip norm"));
    // Nor a weight outside [0, 1]: twice a clipped update is twice the bound.
    for (const double weight : {2.0, -1.0, std::nan("")}) {
        CHECK_THROWS_MATCHES(fedpp::federated::dp::accumulate_clipped(sum, fedpp::send(update.copy(), client)
                                                                               .move(aggregator),
                                                                      weight, norm),
                             fedpp::AggregationError, MessageContains("weight must be in [0, 1]"));
    }
    fedpp::federated::dp::accumulate_clipped(sum, fedpp::send(update.copy(), client).move(aggregator), 1.0, norm);
}

TEST_CASE("a DP run is bitwise identical for 1 and 2 threads", "[federated][dp][threads]") {
    for (const bool adaptive : {false, true}) {
        auto config = dp_config(adaptive);
        config.rounds = 4;
        const auto sets = client_sets(150, 3); // more than 64 clients in some rounds: groups
        FederatedAveraging<Model> one(small_mlp(), sets, blobs(100, 97), config);
        config.threads = 2;
        FederatedAveraging<Model> two(small_mlp(), sets, blobs(100, 97), config);
        const auto a = one.run();
        const auto b = two.run();
        CHECK(model_bytes(one.global_model()) == model_bytes(two.global_model()));
        for (std::size_t r = 0; r < a.size(); ++r) {
            CHECK(a[r].clip_norm == b[r].clip_norm);
            CHECK(a[r].epsilon == b[r].epsilon);
        }
        if (adaptive) {
            CHECK(a.front().clip_norm == 0.1);
            CHECK(a.back().clip_norm != 0.1); // the clip norm moves
        }
    }
}

TEST_CASE("a DP run resumed from its checkpoint ends bitwise identical, with the same epsilon",
          "[federated][dp][checkpoint]") {
    for (const bool adaptive : {false, true}) {
        const TempDir dir;
        auto config = dp_config(adaptive);
        const auto sets = client_sets(40, 4);
        FederatedAveraging<Model> straight(small_mlp(), sets, blobs(100, 96), config);
        const auto all = straight.run();

        auto first_part = config;
        first_part.rounds = 3;
        first_part.checkpoint_path = dir.file("dp.ckpt");
        FederatedAveraging<Model> stopped(small_mlp(), sets, blobs(100, 96), first_part);
        stopped.run();

        FederatedAveraging<Model> resumed(small_mlp(5), sets, blobs(100, 96), config);
        resumed.resume_from(dir.file("dp.ckpt"));
        CHECK(resumed.rounds_done() == 3);
        CHECK(*resumed.epsilon() == *all[2].epsilon);
        const auto rest = resumed.run();
        REQUIRE(rest.size() == 3);
        CHECK(model_bytes(resumed.global_model()) == model_bytes(straight.global_model()));
        CHECK(*rest.back().epsilon == *all.back().epsilon);
        CHECK(rest.back().clip_norm == all.back().clip_norm);

        // Not with other DP settings, nor without DP.
        auto other = config;
        other.dp->noise_multiplier = 1.0;
        FederatedAveraging<Model> differs(small_mlp(), sets, blobs(100, 96), other);
        CHECK_THROWS_MATCHES(differs.resume_from(dir.file("dp.ckpt")), fedpp::CheckpointMismatchError,
                             MessageContains("dp.noise_multiplier"));
        auto plain = config;
        plain.dp.reset();
        FederatedAveraging<Model> not_private(small_mlp(), sets, blobs(100, 96), plain);
        CHECK_THROWS_AS(not_private.resume_from(dir.file("dp.ckpt")), fedpp::CheckpointMismatchError);
    }
}

TEST_CASE("a DP round is charged before it is released: the state saved before it holds its charge, and a run "
          "resumed from it charges the round again, with fresh noise",
          "[federated][dp][checkpoint]") {
    const TempDir dir;
    auto config = dp_config();
    config.checkpoint_path = dir.file("dp.ckpt");
    config.checkpoint_every = 100; // saved before each round (DP), and after the last
    const double q = config.client_fraction;
    const double z = config.dp->noise_multiplier;
    const auto sets = client_sets(40, 4);
    FederatedAveraging<Model> straight(small_mlp(), sets, blobs(100, 96), config);
    const auto all = straight.run([&](const fedpp::federated::RoundMetrics& m) {
        // As round m ends, before its own save: the file holds the state before it, charged for it.
        const auto saved = fedpp::load_checkpoint<fedpp::federated::TrainingState<Model>>(config.checkpoint_path);
        CHECK(saved.rounds_done == m.round - 1);
        CHECK(saved.dp->accountant.steps() == m.round);
        CHECK(saved.dp->accountant.epsilon(config.dp->delta) == *m.epsilon);
        if (m.round == 2) { // a model owner killed now: round 2 released, not saved
            std::filesystem::copy_file(config.checkpoint_path, dir.file("killed.ckpt"));
        }
    });
    REQUIRE(all.size() == config.rounds);
    CHECK(*all.back().epsilon == fedpp::privacy::epsilon(q, z, config.rounds, config.dp->delta));

    FederatedAveraging<Model> resumed(small_mlp(5), sets, blobs(100, 96), config);
    resumed.resume_from(dir.file("killed.ckpt"));
    CHECK(resumed.rounds_done() == 1);
    CHECK(*resumed.epsilon() == *all[1].epsilon); // round 2 charged, though not done
    const auto rest = resumed.run();
    REQUIRE(rest.size() == config.rounds - 1);
    const double twice = fedpp::privacy::epsilon(q, z, config.rounds + 1, config.dp->delta); // round 2 charged twice
    CHECK(*rest.back().epsilon == twice);
    CHECK(twice > *all.back().epsilon);
    // Round 2 run again draws fresh noise: the same noise on what may be
    // another sum would give the difference of the two sums away.
    CHECK(model_bytes(resumed.global_model()) != model_bytes(straight.global_model()));
    FederatedAveraging<Model> again(small_mlp(5), sets, blobs(100, 96), config); // (the same for every run)
    again.resume_from(dir.file("killed.ckpt"));
    again.run();
    CHECK(model_bytes(again.global_model()) == model_bytes(resumed.global_model()));
    fedpp::detail::DpRun seeds(*config.dp, q, {10, 10}, {0, 1});
    const std::uint64_t first = fedpp::detail::derive_seed(77, 1, fedpp::detail::dp_noise_stream);
    seeds.charge(); // round 1 charged once: its seed as ever
    CHECK(seeds.noise_seed(77, 1, fedpp::detail::dp_noise_stream) == first);
    seeds.charge(); // charged again: another
    CHECK(seeds.noise_seed(77, 1, fedpp::detail::dp_noise_stream) != first);

    // A save before a round that fails (its directory gone) charges nothing and runs nothing.
    auto lost = config;
    std::filesystem::create_directory(dir / "gone");
    lost.checkpoint_path = dir.file("gone/dp.ckpt");
    FederatedAveraging<Model> unsaved(small_mlp(), sets, blobs(100, 96), lost);
    unsaved.run_round();
    std::filesystem::remove_all(dir / "gone");
    const auto epsilon = unsaved.epsilon();
    CHECK_THROWS_AS(unsaved.run_round(), fedpp::CheckpointIoError);
    CHECK(unsaved.epsilon() == epsilon);
    CHECK(unsaved.rounds_done() == 1);
    // The twin: with its directory back, the round is charged once and runs.
    std::filesystem::create_directory(dir / "gone");
    CHECK(unsaved.run_round().epsilon == all[1].epsilon);
    CHECK(unsaved.rounds_done() == 2);
}

TEST_CASE("hostile: a DP state edited to account less, or to draw less noise, is refused, the run unchanged",
          "[federated][dp][checkpoint]") {
    for (const bool adaptive : {false, true}) {
        CAPTURE(adaptive);
        const auto config = dp_config(adaptive);
        const double q = config.client_fraction;
        const double z = config.dp->noise_multiplier;
        const auto sets = client_sets(40, 4);
        FederatedAveraging<Model> run(small_mlp(), sets, blobs(100, 96), config);
        run.run_round();
        run.run_round();
        const auto state = run.state();
        FederatedAveraging<Model> resumed(small_mlp(5), sets, blobs(100, 96), config);
        const auto model = model_bytes(resumed.global_model());
        const auto epsilon = resumed.epsilon();
        const auto refused = [&](const fedpp::federated::TrainingState<Model>& edited, const std::string& what) {
            CHECK_THROWS_MATCHES(resumed.restore(edited), fedpp::CheckpointMismatchError, MessageContains(what));
            CHECK(resumed.rounds_done() == 0);
            CHECK(model_bytes(resumed.global_model()) == model);
            CHECK(resumed.epsilon() == epsilon);
        };
        auto unsampled = run.state(); // its two rounds said to have sampled no one: epsilon 0
        unsampled.dp->accountant = fedpp::privacy::RdpAccountant{};
        unsampled.dp->accountant.add_steps(0, z, 2);
        refused(unsampled, "it accounts rounds with q = 0 and z = 0.8, this run's are q = 0.3 and z = 0.8");
        auto fewer = run.state(); // ... or to have run fewer rounds than it did
        fewer.dp->accountant = fedpp::privacy::RdpAccountant{};
        fewer.dp->accountant.add_steps(q, z, 1);
        refused(fewer, "it accounts 1 of its 2 rounds done");
        auto noisier = run.state(); // ... or to have drawn more noise: less spent
        noisier.dp->accountant = fedpp::privacy::RdpAccountant{};
        noisier.dp->accountant.add_steps(q, z, 1);
        noisier.dp->accountant.add_steps(q, 1.8, 1);
        refused(noisier, "q = 0.3 and z = 1.8");
        auto counts_cap = run.state(); // saved by a fedpp whose weighted estimator took its cap from the counts
        for (auto& [name, value] : counts_cap.setup.settings) {
            if (name == "dp.estimator") {
                value = "weighted";
            }
        }
        refused(counts_cap, "took its cap from the clients' counts (dp.weight_cap 0), which fedpp no longer allows");
        if (adaptive) { // its clipping's z is what the sum's noise is drawn with: 0, none
            auto quiet = run.state();
            quiet.dp->adaptive.emplace(0.0, state.dp->adaptive->expected_clients(), *config.dp->adaptive);
            REQUIRE(quiet.dp->adaptive->sum_stddev() == 0);
            refused(quiet, "its adaptive clipping has z = 0, this run's is 0.8");
        }
        // The twins: the state as saved resumes, with the epsilon spent, and
        // one charged for a round more (charged before it ran, then lost).
        auto charged_more = run.state();
        charged_more.dp->accountant.add_steps(q, z, 1);
        resumed.restore(charged_more);
        CHECK(resumed.rounds_done() == 2);
        CHECK(*resumed.epsilon() == fedpp::privacy::epsilon(q, z, 3, config.dp->delta));
        resumed.restore(state);
        CHECK(resumed.rounds_done() == 2);
        CHECK(resumed.epsilon() == run.epsilon());
        CHECK(*resumed.epsilon() > 0);
    }
}

namespace {
/// A run of `config` (4 rounds) straight, and one stopped after 2 rounds
/// whose state is saved in the old format `Old` (no client records:
/// TrainingStateFormat3; no DP state either: TrainingStateFormat2), then
/// resumed from that file: it ends as the straight run, with its epsilon.
template <template <class> class Old>
void check_old_format_resumes(fedpp::federated::Config config) {
    const TempDir dir;
    config.rounds = 4;
    const auto sets = client_sets(20, 5);
    FederatedAveraging<Model> straight(small_mlp(), sets, blobs(50, 95), config);
    straight.run();
    auto first_part = config;
    first_part.rounds = 2;
    FederatedAveraging<Model> stopped(small_mlp(), sets, blobs(50, 95), first_part);
    stopped.run();
    auto state = stopped.state();
    state.setup = fedpp::detail::run_setup(config, stopped.client_sizes());
    fedpp::save_checkpoint(dir.file("old.ckpt"), Old<Model>{std::move(state)});
    CHECK(fedpp::detail::load_training_state<Model>(dir.file("old.ckpt")).setup.clients.empty());

    FederatedAveraging<Model> resumed(small_mlp(5), sets, blobs(50, 95), config);
    resumed.resume_from(dir.file("old.ckpt"));
    CHECK(resumed.rounds_done() == 2);
    resumed.run();
    CHECK(model_bytes(resumed.global_model()) == model_bytes(straight.global_model()));
    CHECK(resumed.epsilon() == straight.epsilon());
}
} // namespace

TEST_CASE("a training state of format 2 (before DP) still loads and resumes as before", "[federated][checkpoint]") {
    auto config = dp_config();
    config.dp.reset();
    check_old_format_resumes<fedpp::detail::TrainingStateFormat2>(config);
}

TEST_CASE("a training state of format 3 (before client records) still loads and resumes as before, with its DP "
          "state",
          "[federated][checkpoint]") {
    check_old_format_resumes<fedpp::detail::TrainingStateFormat3>(dp_config());
}

TEST_CASE("a DP run with a budget stops before the round that would exceed it", "[federated][dp]") {
    auto config = dp_config();
    config.rounds = 100;
    const double budget = fedpp::privacy::epsilon(0.3, 0.8, 4, 1e-5) * 1.0001; // 4 rounds fit, 5 do not
    config.dp->epsilon_budget = budget;
    FederatedAveraging<Model> run(small_mlp(), client_sets(30, 6), blobs(50, 94), config);
    const auto all = run.run();
    REQUIRE(all.size() == 4);
    CHECK(*all.back().epsilon <= budget);
    CHECK(all.back().budget_reached);
    CHECK_FALSE(all[2].budget_reached);
    CHECK(run.budget_reached());
    CHECK(run.end() == fedpp::federated::RunEnd{false, false, true});
    CHECK(run.dp_rounds_charged() == 4);
    CHECK(run.run().empty()); // nothing more is spent

    // The round the budget ends on is saved, whatever checkpoint_every says.
    const TempDir dir;
    auto saved = config;
    saved.checkpoint_path = dir.file("dp.ckpt");
    saved.checkpoint_every = 100;
    FederatedAveraging<Model> saving(small_mlp(), client_sets(30, 6), blobs(50, 94), saved);
    REQUIRE(saving.run().size() == 4);
    const auto state = fedpp::load_checkpoint<fedpp::federated::TrainingState<Model>>(saved.checkpoint_path);
    CHECK(state.rounds_done == 4);
    CHECK(model_bytes(state.global_model) == model_bytes(saving.global_model()));

    config.dp->epsilon_budget = fedpp::privacy::epsilon(0.3, 0.8, 1, 1e-5) / 2; // not even one round
    FederatedAveraging<Model> none(small_mlp(), client_sets(30, 6), blobs(50, 94), config);
    CHECK(none.run().empty());
    CHECK(none.rounds_done() == 0);
}

TEST_CASE("run_end judges a saved state as the run loop stops, and as the run's own end() does: rounds done, model "
          "at the target, DP budget spent",
          "[federated][dp][checkpoint]") {
    using fedpp::federated::run_end;
    using fedpp::federated::RunEnd;
    auto config = dp_config();
    config.rounds = 100;
    config.dp->epsilon_budget = fedpp::privacy::epsilon(0.3, 0.8, 4, 1e-5) * 1.0001; // 4 rounds fit, 5 do not
    FederatedAveraging<Model> run(small_mlp(), client_sets(30, 6), blobs(50, 94), config);
    run.run_round();
    run.run_round();
    run.run_round();
    const auto three = run.state();
    CHECK_FALSE(run_end(three, config, std::nullopt).ended()); // the twin of each below
    CHECK_FALSE(run.end().ended());
    run.run_round();
    const auto four = run.state();
    CHECK(run.budget_reached());
    CHECK(run_end(four, config, std::nullopt) == RunEnd{false, false, true});
    CHECK(run.end() == RunEnd{false, false, true});
    auto larger = config; // a larger budget: it goes on
    larger.dp->epsilon_budget = fedpp::privacy::epsilon(0.3, 0.8, 5, 1e-5) * 1.0001;
    CHECK_FALSE(run_end(four, larger, std::nullopt).ended());

    auto fewer = larger; // its rounds done
    fewer.rounds = 3;
    CHECK(run_end(three, fewer, std::nullopt) == RunEnd{true, false, false});
    FederatedAveraging<Model> done(small_mlp(), client_sets(30, 6), blobs(50, 94), fewer);
    CHECK(done.run().size() == 3);
    CHECK(done.end() == RunEnd{true, false, false});
    fewer.rounds = 4;
    CHECK_FALSE(run_end(three, fewer, std::nullopt).ended());

    auto target = larger; // its model at the target, after a round
    target.target_accuracy = 0.5;
    CHECK(run_end(three, target, 0.5) == RunEnd{false, true, false});
    CHECK_FALSE(run_end(three, target, 0.49).ended());
    CHECK_FALSE(run_end(three, target, std::nullopt).ended()); // not measured
    CHECK_FALSE(run_end(3, std::nullopt, target, 0.49).ended());
    CHECK_FALSE(run_end(0, std::nullopt, target, 0.9).ended()); // no round yet: the initial model is not the run's
}

TEST_CASE("bad DP settings are rejected up front", "[federated][dp]") {
    const auto sets = client_sets(10, 7);
    auto check_bad = [&](auto change, const std::string& message) {
        auto config = dp_config();
        change(config);
        CHECK_THROWS_MATCHES(FederatedAveraging<Model>(small_mlp(), sets, blobs(10, 93), config),
                             fedpp::ArgumentError, MessageContains(message));
    };
    check_bad([](Config& c) { c.dp->clip_norm = 0; }, "clip norm");
    check_bad([](Config& c) { c.dp->noise_multiplier = -1; }, "noise multiplier");
    check_bad([](Config& c) { c.dp->delta = 1; }, "delta");
    check_bad([](Config& c) { c.dp->epsilon_budget = 0; }, "budget");
    check_bad([](Config& c) { c.aggregation = fedpp::federated::Aggregation::coordinate_median; }, "weighted_mean");
    check_bad(
        [](Config& c) {
            c.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
            c.dp->clip_norm = fedpp::federated::DpConfig{}.clip_norm;
            c.dp->adaptive->target_quantile = 2;
        },
        "quantile");
    // Settings that would be ignored are refused too.
    check_bad(
        [](Config& c) {
            c.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
            c.dp->clip_norm = -5;
        },
        "clip norm");
    check_bad(
        [](Config& c) {
            c.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
            c.dp->clip_norm = 0.5; // valid, but adaptive clipping would start from its initial norm, 0.1
        },
        "adaptive clipping does not use clip_norm (0.5): it starts from adaptive->initial_norm (0.1)");
    check_bad(
        [](Config& c) {
            c.dp->estimator = fedpp::privacy::Estimator::unweighted;
            c.dp->weight_cap = 5;
        },
        "has no weight cap");
    // A cap taken from the clients' counts makes every weight depend on one client: none is taken.
    check_bad([](Config& c) { c.dp->estimator = fedpp::privacy::Estimator::weighted; },
              "needs a weight cap > 0, fixed before the run");
    check_bad([](Config& c) { c.eval_batch = 0; }, "eval_batch");
    // The twins: a cap for the weighted estimator, adaptive clipping with the default clip norm.
    auto config = dp_config();
    config.dp->estimator = fedpp::privacy::Estimator::weighted;
    config.dp->weight_cap = 5;
    CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), sets, blobs(10, 93), config));
    config.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
    config.dp->clip_norm = fedpp::federated::DpConfig{}.clip_norm;
    config.dp->adaptive->count_stddev = 1.0; // (m / 20 is too little noise for 3 clients a round)
    CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), sets, blobs(10, 93), config));
}

TEST_CASE("a DP run's progress line and CSV metrics show epsilon, the clip norm and the budget", "[federated][dp]") {
    fedpp::federated::RoundMetrics m;
    m.round = 7;
    m.aggregated = true;
    m.epsilon = 1.25;
    m.clip_norm = 0.5;
    m.budget_reached = true;
    const std::string line = fedpp_test::progress_line(m, 10);
    CHECK_THAT(line, Catch::Contains("eps 1.25 clip 0.5"));
    CHECK_THAT(line, Catch::Contains("privacy budget reached"));

    const TempDir dir;
    {
        const fedpp::federated::CsvMetricsWriter csv(dir.file("m.csv"));
        csv(m);
        m.epsilon.reset();
        m.clip_norm = 0;
        m.budget_reached = false;
        csv(m);
    }
    std::ifstream in(dir.file("m.csv"));
    std::string header;
    std::string dp_row;
    std::string plain_row;
    std::getline(in, header);
    std::getline(in, dp_row);
    std::getline(in, plain_row);
    CHECK_THAT(header, Catch::Contains(",elapsed_seconds,epsilon,clip_norm,budget_reached,failures,"));
    CHECK_THAT(dp_row, Catch::EndsWith(",1.25,0.5,1,0,\"\""));
    CHECK_THAT(plain_row, Catch::EndsWith(",,0,0,0,\"\""));
}

TEST_CASE("the aggregator releases global + (sum + noise of standard deviation z S) / (q W), nothing less noisy",
          "[federated][dp]") {
    using Linear = fedpp::nn::Linear<float>;
    fedpp::Federation federation;
    fedpp::Worker<fedpp::federated::Aggregator> aggregator(federation);
    fedpp::Worker<fedpp::federated::Client> alice(federation, "client-0");
    fedpp::Worker<fedpp::federated::Client> bob(federation, "client-1");
    fedpp::Generator generator(5);
    const Linear global(100, 50, generator);
    Linear zero = global.copy();
    for (auto& p : zero.parameters()) {
        p.value().setZero();
    }
    auto sum = fedpp::send(fedpp::WeightedSum<Linear>(zero), aggregator);
    fedpp::federated::dp::accumulate_clipped(sum, fedpp::send(zero.copy(), alice).move(aggregator), 1.0, 1.0);
    fedpp::federated::dp::accumulate_clipped(sum, fedpp::send(zero.copy(), bob).move(aggregator), 1.0, 1.0);
    const auto global_there = fedpp::send(global.copy(), aggregator);
    const Linear released = fedpp::federated::dp::release_noised(sum, global_there, 2.0, 4.0, 99).get();
    // The updates are zero: what was released minus the global model is the
    // noise over the denominator, of standard deviation 2 / 4.
    double squares = 0;
    double count = 0;
    const auto from = global.parameters();
    const auto to = released.parameters();
    for (std::size_t k = 0; k < to.size(); ++k) {
        const auto difference = (to[k].value() - from[k].value()).cast<double>();
        squares += difference.squaredNorm();
        count += static_cast<double>(difference.size());
    }
    CHECK(std::sqrt(squares / count) == Approx(0.5).epsilon(0.05));
    // Only one data owner in the sum: nothing is released.
    auto lonely = fedpp::send(fedpp::WeightedSum<Linear>(zero), aggregator);
    fedpp::federated::dp::accumulate_clipped(lonely, fedpp::send(zero.copy(), alice).move(aggregator), 1.0, 1.0);
    CHECK_THROWS_AS(fedpp::federated::dp::release_noised(lonely, global_there, 2.0, 4.0, 99),
                    fedpp::InsufficientContributionsError);
}

TEST_CASE("DP-FedAvg's weights, fixed denominator and Poisson sampling rate", "[federated][dp]") {
    fedpp::federated::DpConfig config;
    config.estimator = fedpp::privacy::Estimator::weighted;
    config.weight_cap = 40;
    const std::vector<std::size_t> sizes{10, 40, 0, 20, 40};
    const std::vector<std::size_t> eligible{0, 1, 3, 4};
    const fedpp::detail::DpRun weighted(config, 0.25, sizes, eligible);
    // w_k = min(n_k / cap, 1), clients without data 0.
    CHECK(weighted.weight(0) == 0.25);
    CHECK(weighted.weight(1) == 1.0);
    CHECK(weighted.weight(2) == 0.0);
    CHECK(weighted.weight(3) == 0.5);
    CHECK(weighted.denominator() == 0.25 * (0.25 + 1 + 0.5 + 1));
    CHECK(weighted.noise_stddev() == config.noise_multiplier * config.clip_norm);

    config.weight_cap = 20; // the cap is the run's, not the largest count: larger clients weigh 1
    const fedpp::detail::DpRun capped(config, 0.25, sizes, eligible);
    CHECK(capped.weight(0) == 0.5);
    CHECK(capped.weight(1) == 1.0);
    CHECK(capped.weight(3) == 1.0);
    CHECK(capped.denominator() == 0.25 * (0.5 + 1 + 1 + 1));

    config = fedpp::federated::DpConfig{}; // the default: unweighted
    const fedpp::detail::DpRun unweighted(config, 0.25, sizes, eligible);
    CHECK(unweighted.weight(0) == 1.0);
    CHECK(unweighted.weight(2) == 0.0);
    CHECK(unweighted.denominator() == 0.25 * 4);

    std::vector<std::size_t> many(4000);
    std::iota(many.begin(), many.end(), std::size_t{0});
    std::size_t taken = 0;
    for (std::size_t round = 1; round <= 10; ++round) {
        const auto chosen = weighted.select(many, 3, round);
        CHECK(std::is_sorted(chosen.begin(), chosen.end()));
        CHECK(chosen == weighted.select(many, 3, round)); // from the seed and round alone
        taken += chosen.size();
    }
    CHECK(static_cast<double>(taken) / 40000.0 == Approx(0.25).epsilon(0.03));
}
