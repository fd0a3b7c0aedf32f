// The federated driver: training, determinism across thread counts, exact
// resumption, privacy, faults, metrics. Uses a synthetic data set (Gaussian
// blobs); the real-data runs are in test_federated_digits.cpp.
#include "parties.hpp"

#include "blobs.hpp"
#include "progress_line.hpp"
#include "skip.hpp"

#include <fedpp/base/blas_threads.hpp>
#include <fedpp/federated.hpp>
#include <fedpp/federated/thread_team.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using fedpp::federated::Config;
using fedpp::federated::FederatedAveraging;
using Model = fedpp::nn::Sequential<float>;
using Dataset = fedpp::data::Dataset<float>;

namespace {
Dataset blobs(std::size_t n, std::uint64_t seed) { return synthetic::points(n, seed); }
std::vector<Dataset> client_sets(std::size_t clients, std::uint64_t seed) { return synthetic::client_sets(clients, seed); }
Model small_mlp(std::uint64_t seed = 11) { return synthetic::small_mlp(seed); }

Config small_config() {
    Config config;
    config.rounds = 8;
    config.client_fraction = 0.5;
    config.local.epochs = 2;
    config.local.batch_size = 8;
    config.local.learning_rate = 0.05;
    config.seed = 2024;
    config.threads = 1;
    return config;
}

fedpp::Bytes model_bytes(const Model& model) { return fedpp::to_bytes(model); }
} // namespace

TEST_CASE("federated averaging learns, and reports every round", "[federated]") {
    auto config = small_config();
    FederatedAveraging<Model> run(small_mlp(), client_sets(20, 1), blobs(600, 99), config);
    CHECK(run.client_count() == 20);
    CHECK(run.client_sizes()[3] == 0);
    std::vector<std::size_t> seen;
    const auto metrics = run.run([&](const fedpp::federated::RoundMetrics& m) { seen.push_back(m.round); });
    REQUIRE(metrics.size() == 8);
    CHECK(seen == std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8});
    for (const auto& m : metrics) {
        CHECK(m.aggregated);
        CHECK(m.failures.empty());
        CHECK(m.clients_selected == 9); // round(0.5 * 17 clients with data)
        CHECK(m.clients_aggregated == 9);
        CHECK(m.examples > 0);
        CHECK(m.round_seconds >= 0);
    }
    CHECK(metrics.back().test_accuracy > 0.9);
    REQUIRE(metrics.front().train_loss.has_value());
    REQUIRE(metrics.back().train_loss.has_value());
    CHECK(*metrics.back().train_loss < *metrics.front().train_loss);
    CHECK(run.rounds_done() == 8);
    // Nothing is left at the aggregator but the running sum, and the clients
    // hold only their data.
    CHECK(run.aggregator().object_count() == 1);
    CHECK(run.client(0).object_count() == 1);
}

TEST_CASE("a client's data of other features or classes than the test set's is refused at the start",
          "[federated]") {
    const Dataset test = blobs(60, 99);
    auto clients = client_sets(4, 1);
    const auto other = [&](fedpp::Index features, std::int32_t classes) {
        fedpp::Matrix<float> x = fedpp::Matrix<float>::Zero(5, features);
        return Dataset(std::move(x), std::vector<std::int32_t>(5, 0), classes);
    };
    const fedpp::Index features = test.feature_count();
    const std::int32_t classes = test.class_count();
    SECTION("other features") {
        clients[2] = other(features + 2, classes);
        CHECK_THROWS_MATCHES(FederatedAveraging<Model>(small_mlp(), clients, test, small_config()), fedpp::ShapeError,
                             Catch::Matchers::Message("FederatedAveraging: client 2's data has " +
                                                      std::to_string(features + 2) + " features and " +
                                                      std::to_string(classes) + " classes, the test set " +
                                                      std::to_string(features) + " and " + std::to_string(classes)));
    }
    SECTION("other classes") {
        clients[1] = other(features, classes + 1);
        CHECK_THROWS_AS(FederatedAveraging<Model>(small_mlp(), clients, test, small_config()), fedpp::ShapeError);
    }
    SECTION("the twin: the same task, and a client without data, start") {
        clients[3] = Dataset();
        CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), clients, test, small_config()));
    }
    SECTION("without a test set, the clients are checked against the first one with data, and so is the model") {
        clients[0] = Dataset();
        clients[3] = other(features + 2, classes);
        CHECK_THROWS_WITH(FederatedAveraging<Model>(small_mlp(), clients, Dataset(), small_config()),
                          "FederatedAveraging: client 3's data has " + std::to_string(features + 2) +
                              " features and " + std::to_string(classes) + " classes, the first client with data " +
                              std::to_string(features) + " and " + std::to_string(classes));
        auto same = client_sets(4, 1);
        fedpp::Generator generator(3);
        CHECK_THROWS_WITH(FederatedAveraging<Model>(Model(fedpp::nn::Linear<float>(features, 7, generator)), same,
                                                    Dataset(), small_config()),
                          Catch::Contains("the model gives 7 scores per example, the data has " +
                                          std::to_string(classes) + " classes"));
        auto config = small_config();
        config.target_accuracy = 0.9;
        CHECK_THROWS_WITH(FederatedAveraging<Model>(small_mlp(), same, Dataset(), config),
                          Catch::Contains("a target accuracy needs a test set"));
        CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), same, Dataset(), small_config())); // the twin
    }
}

TEST_CASE("a model that does not fit the data (its features, one score per class) is refused at the start",
          "[federated]") {
    const Dataset test = blobs(60, 99); // 4 features, 3 classes
    const auto clients = client_sets(4, 1);
    const auto mlp = [](fedpp::Index inputs, fedpp::Index outputs) {
        fedpp::Generator generator(5);
        return Model(fedpp::nn::Linear<float>(inputs, 16, generator), fedpp::nn::ReLU{},
                     fedpp::nn::Linear<float>(16, outputs, generator));
    };
    for (const fedpp::Index outputs : {5, 2}) {
        INFO(outputs << " outputs");
        CHECK_THROWS_MATCHES(FederatedAveraging<Model>(mlp(4, outputs), clients, test, small_config()),
                             fedpp::ShapeError,
                             Catch::Matchers::Message("FederatedAveraging: the model gives " +
                                                      std::to_string(outputs) +
                                                      " scores per example, the data has 3 classes: its last layer "
                                                      "must have 3 outputs"));
    }
    CHECK_THROWS_WITH(FederatedAveraging<Model>(mlp(6, 3), clients, test, small_config()),
                      Catch::StartsWith("FederatedAveraging: the model does not take the test set's examples of 4 "
                                        "features: "));
    CHECK_NOTHROW(FederatedAveraging<Model>(mlp(4, 3), clients, test, small_config())); // the twin

    // Nor are a model's scores checked only by the driver: a model moved
    // from (an empty Sequential, which gives its 4 features back) is
    // neither evaluated nor trained as if it scored 4 classes.
    Model used = mlp(4, 3);
    FederatedAveraging<Model> run(std::move(used), clients, test, small_config());
    const std::string width = "the model gives 4 scores per example, the data has 3 classes";
    CHECK_THROWS_WITH(fedpp::training::evaluate(used, test), Catch::Contains(width)); // NOLINT(bugprone-use-after-move)
    fedpp::Generator generator(1);
    CHECK_THROWS_WITH(fedpp::training::train_locally(used, test, small_config().local, generator),
                      Catch::Contains(width));
    CHECK(fedpp::training::evaluate(run.global_model(), test).examples == test.size()); // the twin
}

TEST_CASE("an initial model with a NaN or an infinity is refused at the start, not blamed on the clients",
          "[federated]") {
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        Model model = small_mlp();
        model.parameters()[2].value()(0, 0) = bad;
        CHECK_THROWS_MATCHES(FederatedAveraging<Model>(std::move(model), client_sets(4, 1), blobs(60, 99),
                                                       small_config()),
                             fedpp::ArgumentError,
                             Catch::Matchers::Message("FederatedAveraging: parameter 2 of the initial model holds NaN "
                                                      "or infinite values"));
    }
    CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), client_sets(4, 1), blobs(60, 99), small_config()));
}

TEST_CASE("a checkpoint path that cannot be written is refused at the start, not after the first round",
          "[federated][checkpoint]") {
    auto config = small_config();
    for (const std::string& path : {std::string("/nonexistent-dir/run.ckpt"),
                                   std::filesystem::temp_directory_path().string()}) {
        INFO(path);
        config.checkpoint_path = path;
        CHECK_THROWS_AS(FederatedAveraging<Model>(small_mlp(), client_sets(4, 1), blobs(60, 99), config),
                        fedpp::CheckpointIoError);
    }
    // The twin: a file in a directory that may be written.
    config.checkpoint_path = (std::filesystem::temp_directory_path() / "fedpp_writable_check.ckpt").string();
    CHECK_NOTHROW(FederatedAveraging<Model>(small_mlp(), client_sets(4, 1), blobs(60, 99), config));

    // A save that fails later (the directory gone) ends the run with the
    // error, after the round it followed was reported.
    const auto directory = std::filesystem::temp_directory_path() / "fedpp_vanishing_checkpoint_dir";
    std::filesystem::create_directories(directory);
    config.checkpoint_path = (directory / "run.ckpt").string();
    FederatedAveraging<Model> run(small_mlp(), client_sets(4, 1), blobs(60, 99), config);
    std::filesystem::remove_all(directory);
    std::vector<std::size_t> reported;
    CHECK_THROWS_AS(run.run([&](const fedpp::federated::RoundMetrics& m) { reported.push_back(m.round); }),
                    fedpp::CheckpointIoError);
    CHECK(reported == std::vector<std::size_t>{1});
    CHECK(run.rounds_done() == 1);
}

TEST_CASE("a round without a valid update reports no training loss, not 0", "[federated]") {
    auto config = small_config();
    config.local.learning_rate = 1e30; // every update overflows, and is rejected
    FederatedAveraging<Model> run(small_mlp(), client_sets(4, 1), blobs(60, 99), config);
    const auto m = run.run_round();
    REQUIRE_FALSE(m.aggregated);
    CHECK(m.clients_aggregated == 0);
    CHECK_FALSE(m.train_loss.has_value());
    CHECK_THAT(fedpp_test::progress_line(m, 10), Catch::Contains("train loss    n/a"));
    // The twin: a round with valid updates reports their mean loss.
    CHECK(FederatedAveraging<Model>(small_mlp(), client_sets(4, 1), blobs(60, 99), small_config())
              .run_round()
              .train_loss.has_value());
}

TEST_CASE("clients selected in a round are distinct, sorted, and at least min_clients", "[federated]") {
    auto config = small_config();
    config.client_fraction = 0.01; // rounds to zero: still min_clients (2) clients
    FederatedAveraging<Model> run(small_mlp(), client_sets(20, 1), blobs(10, 99), config);
    for (std::size_t round = 1; round <= 50; ++round) {
        const auto chosen = run.select_clients(round);
        REQUIRE(chosen.size() == 2);
        CHECK(chosen[0] < chosen[1]);
        CHECK(run.client_sizes()[chosen[0]] > 0);
        CHECK(run.client_sizes()[chosen[1]] > 0);
    }
    config.client_fraction = 1.0;
    FederatedAveraging<Model> all(small_mlp(), client_sets(20, 1), blobs(10, 99), config);
    CHECK(all.select_clients(1).size() == 17);
}

TEST_CASE("the result is bitwise identical whatever the thread count", "[federated][threads]") {
    auto config = small_config();
    config.rounds = 4;
    std::vector<fedpp::Bytes> results;
    for (std::size_t threads : {1u, 2u, 3u, 8u}) {
        config.threads = threads;
        FederatedAveraging<Model> run(small_mlp(), client_sets(24, 5), blobs(100, 98), config);
        run.run();
        results.push_back(model_bytes(run.global_model()));
    }
    for (const auto& r : results) {
        CHECK(r == results.front());
    }
}

TEST_CASE("client data moved in gives the run lent data gives, and is let go of once sent", "[federated]") {
    const auto config = small_config();
    const std::vector<Dataset> lent = client_sets(6, 5);
    std::vector<Dataset> moved = lent;
    FederatedAveraging<Model> with_lent(small_mlp(), lent, blobs(100, 98), config);
    FederatedAveraging<Model> with_moved(small_mlp(), std::move(moved), blobs(100, 98), config);
    CHECK(moved.empty()); // the run took the data sets, and has sent and released each
    CHECK(lent.size() == 6);
    CHECK(with_moved.client_sizes() == with_lent.client_sizes());
    // A braced list is client data too.
    FederatedAveraging<Model> with_list(small_mlp(), {lent[0], lent[1], lent[2], lent[3], lent[4], lent[5]},
                                        blobs(100, 98), config);
    with_lent.run();
    with_moved.run();
    with_list.run();
    CHECK(model_bytes(with_moved.global_model()) == model_bytes(with_lent.global_model()));
    CHECK(model_bytes(with_list.global_model()) == model_bytes(with_lent.global_model()));
}

TEST_CASE("with more than 64 clients a round sums them in groups, in a fixed order", "[federated][threads]") {
    // 200 clients with data, all selected: groups of ceil(200 / 64) = 4
    // consecutive clients. The result must not depend on the threads, and
    // must be exactly the documented sum: each group summed in client order,
    // the group sums added in group order.
    auto config = small_config();
    config.rounds = 1;
    config.client_fraction = 1.0;
    config.local.epochs = 1;
    std::vector<Dataset> sets;
    for (std::size_t k = 0; k < 200; ++k) {
        sets.push_back(blobs(3 + k % 4, 500 + k));
    }
    std::vector<fedpp::Bytes> results;
    for (std::size_t threads : {1u, 2u, 3u}) {
        config.threads = threads;
        FederatedAveraging<Model> run(small_mlp(), sets, blobs(30, 97), config);
        const auto metrics = run.run_round();
        REQUIRE(metrics.clients_aggregated == 200);
        results.push_back(model_bytes(run.global_model()));
    }
    CHECK(results[1] == results[0]);
    CHECK(results[2] == results[0]);

    const Model initial = small_mlp();
    fedpp::WeightedSum<Model> expected(initial);
    for (std::size_t first = 0; first < sets.size(); first += 4) {
        fedpp::WeightedSum<Model> group(initial);
        for (std::size_t k = first; k < first + 4; ++k) {
            Model local = initial.copy();
            fedpp::Generator generator(fedpp::detail::derive_seed(config.seed, 1, k + 1));
            fedpp::training::train_locally(local, sets[k], config.local, generator);
            group.add(local, double(sets[k].size()));
        }
        expected.merge(group);
    }
    CHECK(results[0] == model_bytes(expected.average()));
}

TEST_CASE("the thread team runs every part of a job, again and again, and passes on errors", "[federated][threads]") {
    fedpp::detail::ThreadTeam team(3);
    CHECK(team.size() == 3);
    for (int job = 0; job < 50; ++job) {
        std::vector<int> ran(3, 0);
        team.run(3, [&](std::size_t t) { ran[t] += 1; });
        CHECK(ran == std::vector<int>{1, 1, 1});
    }
    std::vector<int> ran(3, 0);
    team.run(2, [&](std::size_t t) { ran[t] += 1; }); // fewer parts than threads
    CHECK(ran == std::vector<int>{1, 1, 0});
    CHECK_THROWS_WITH(team.run(3,
                               [](std::size_t t) {
                                   if (t == 2) {
                                       throw std::runtime_error("part 2 failed");
                                   }
                               }),
                      "part 2 failed");
    int after = 0;
    team.run(1, [&](std::size_t) { ++after; }); // still usable after an error
    CHECK(after == 1);
}

TEST_CASE("a run resumed from its state ends bitwise identical to an uninterrupted one", "[federated]") {
    auto config = small_config();
    config.rounds = 6;
    FederatedAveraging<Model> straight(small_mlp(), client_sets(12, 3), blobs(50, 97), config);
    straight.run();

    FederatedAveraging<Model> first(small_mlp(), client_sets(12, 3), blobs(50, 97), config);
    first.run_round();
    first.run_round();
    const auto saved = fedpp::to_bytes(first.state());

    FederatedAveraging<Model> resumed(small_mlp(99), client_sets(12, 3), blobs(50, 97), config);
    resumed.restore(fedpp::from_bytes<fedpp::federated::TrainingState<Model>>(saved));
    CHECK(resumed.rounds_done() == 2);
    const auto rest = resumed.run();
    CHECK(rest.size() == 4);
    CHECK(rest.front().round == 3);
    CHECK(model_bytes(resumed.global_model()) == model_bytes(straight.global_model()));

    auto other_seed = config;
    other_seed.seed = 1;
    FederatedAveraging<Model> wrong(small_mlp(), client_sets(12, 3), blobs(50, 97), other_seed);
    CHECK_THROWS_AS(wrong.restore(first.state()), fedpp::CheckpointMismatchError);
    CHECK_THROWS_WITH(wrong.restore(first.state()), Catch::Contains("config.seed is 1 in this run but 2024"));
}

TEST_CASE("the model owner receives only the averages and public scalars", "[federated][privacy]") {
    auto config = small_config();
    config.rounds = 3;
    config.keep_transfer_log = true;
    FederatedAveraging<Model> run(small_mlp(), client_sets(10, 4), blobs(50, 96), config);
    run.run();
    const std::string model = fedpp::Codec<Model>::type_name();
    const std::string average = fedpp::Codec<fedpp::Aggregate<Model>>::type_name();
    const std::string data = fedpp::Codec<Dataset>::type_name();
    std::map<std::string, std::size_t> kinds;
    for (const auto& t : run.federation().transfers().entries()) {
        const bool from_client = t.from.rfind("client-", 0) == 0;
        const bool to_client = t.to.rfind("client-", 0) == 0;
        if (t.to == "me") {
            CHECK(t.kind == fedpp::TransferKind::get);
            if (from_client) {
                CHECK((t.type == "f64" || t.type == "i64")); // losses and example counts only
            } else {
                CHECK(t.from == "aggregator");
                CHECK(t.type == average); // the averages ...
                // ... each of at least the aggregator's minimum of clients
                CHECK(t.contributions >= fedpp::min_contributions_v<fedpp::federated::Aggregator>);
                CHECK(t.contributions == run.select_clients(1).size());
            }
        }
        if (from_client) {
            CHECK((t.to == "me" || t.to == "aggregator")); // never to another client
        }
        if (t.type == data) {
            CHECK(t.kind == fedpp::TransferKind::send); // data only ever goes to its client, once
            CHECK(to_client);
        }
        kinds[std::string(fedpp::to_string(t.kind)) + " " + t.type] += 1;
    }
    CHECK(kinds["send " + data] == 10);
    CHECK(kinds["get " + average] == 3); // one average per round
    CHECK(kinds["get " + model] == 0);   // never a client's model
    CHECK(kinds["move " + model] == 3 * run.select_clients(1).size());
}

TEST_CASE("failing clients are left out with the reason, and nothing of theirs is averaged", "[federated][faults]") {
    auto config = small_config();
    config.rounds = 1;
    config.client_fraction = 1.0;
    const auto sets = client_sets(8, 6);
    // Clients 1, 2 and 4 fail in three ways; the rest train normally.
    auto faulty = [](Model& model, const Dataset& d, const fedpp::training::LocalTraining& local,
                     fedpp::Generator& generator, std::size_t client, std::size_t) -> double {
        const double loss = fedpp::training::train_locally(model, d, local, generator);
        if (client == 1) {
            throw std::runtime_error("disk full");
        }
        if (client == 2) {
            model.parameters()[0].value()(0, 0) = std::numeric_limits<float>::quiet_NaN();
        }
        if (client == 4) {
            fedpp::Generator g(1);
            model = Model(fedpp::nn::Linear<float>(4, 3, g)); // the wrong architecture
        }
        return loss;
    };
    FederatedAveraging<Model> run(small_mlp(), sets, blobs(50, 95), config, faulty);
    const auto metrics = run.run_round();
    CHECK(metrics.aggregated);
    CHECK(metrics.clients_selected == 7); // client 3 has no data and is never selected
    CHECK(metrics.clients_aggregated == 4);
    REQUIRE(metrics.failures.size() == 3);
    CHECK(metrics.failures[0].client == 1);
    CHECK(metrics.failures[0].reason == "disk full");
    CHECK(metrics.failures[1].client == 2);
    CHECK_THAT(metrics.failures[1].reason, Catch::Contains("NaN or infinite"));
    CHECK(metrics.failures[2].client == 4);
    CHECK_THAT(metrics.failures[2].reason, Catch::Contains("parameter tensors"));

    // The global model is exactly the weighted average of the good clients'
    // updates, added in client order.
    const Model initial = small_mlp();
    fedpp::WeightedSum<Model> expected(initial);
    for (std::size_t k : {0u, 3u, 5u, 6u, 7u}) {
        if (sets[k].empty()) {
            continue;
        }
        Model local = initial.copy();
        fedpp::Generator generator(fedpp::detail::derive_seed(config.seed, 1, k + 1));
        fedpp::training::train_locally(local, sets[k], config.local, generator);
        expected.add(local, double(sets[k].size()));
    }
    CHECK(model_bytes(run.global_model()) == model_bytes(expected.average()));
}

TEST_CASE("a round with fewer than min_clients valid updates leaves the model unchanged", "[federated][faults]") {
    auto config = small_config();
    config.rounds = 1;
    config.client_fraction = 1.0;
    config.min_clients = 3;
    auto mostly_failing = [](Model& model, const Dataset& d, const fedpp::training::LocalTraining& local,
                             fedpp::Generator& generator, std::size_t client, std::size_t) -> double {
        if (client > 1) {
            throw std::runtime_error("offline");
        }
        return fedpp::training::train_locally(model, d, local, generator);
    };
    FederatedAveraging<Model> run(small_mlp(), client_sets(6, 7), blobs(50, 94), config, mostly_failing);
    const auto before = model_bytes(run.global_model());
    const auto metrics = run.run_round();
    CHECK_FALSE(metrics.aggregated);
    CHECK(metrics.clients_aggregated == 2);
    CHECK_THAT(metrics.round_error, Catch::Contains("only 2 valid updates, min_clients is 3"));
    CHECK(model_bytes(run.global_model()) == before);
    CHECK(run.aggregator().object_count() == 1); // the sum; no update left behind
}

TEST_CASE("progress lines and CSV metrics", "[federated][metrics]") {
    fedpp::federated::RoundMetrics m;
    m.round = 3;
    m.clients_selected = 10;
    m.clients_aggregated = 9;
    m.train_loss = 0.25;
    m.test_accuracy = 0.9512;
    m.aggregated = true;
    m.failures.push_back({4, "said \"no\", then left"});
    const std::string line = fedpp_test::progress_line(m, 100);
    CHECK_THAT(line, Catch::Contains("round     3/100  clients 9/10  train loss 0.2500  test acc  95.12%"));
    CHECK_THAT(line, Catch::Contains("(1 client left out; client 4: said \"no\", then left)"));

    const std::string path = "federated_metrics_test.csv";
    {
        const fedpp::federated::CsvMetricsWriter csv(path);
        csv(m);
    }
    std::ifstream in(path);
    std::string header;
    std::string row;
    std::getline(in, header);
    std::getline(in, row);
    CHECK(header.rfind("round,clients_selected,clients_aggregated,examples,aggregated,", 0) == 0);
    CHECK(row.rfind("3,10,9,0,1,0.25,0,0.9512,", 0) == 0);
    CHECK_THAT(row, Catch::EndsWith(",1,\"client 4: said \"\"no\"\", then left\""));
    in.close();
    CHECK_THROWS_AS(fedpp::federated::CsvMetricsWriter("/nonexistent-dir/metrics.csv"), fedpp::ArgumentError);

    // A resumed run appends its rounds: the header once, the earlier rows kept.
    using Append = fedpp::federated::CsvMetricsWriter::Append;
    const auto lines_of = [](const std::string& file) {
        std::ifstream text(file);
        std::vector<std::string> lines;
        for (std::string line_read; std::getline(text, line_read);) {
            lines.push_back(line_read);
        }
        return lines;
    };
    m.round = 4;
    fedpp::federated::CsvMetricsWriter(path, Append{})(m);
    const auto appended = lines_of(path);
    REQUIRE(appended.size() == 3);
    CHECK(appended[0] == header);
    CHECK(appended[1] == row);
    CHECK(appended[2].rfind("4,10,9,", 0) == 0);
    // Rows of rounds after the resumed checkpoint's (done again) are dropped first, as is an unfinished
    // last row (a crash while it was written).
    const auto rows_of_round = [&](const std::string& round) {
        const auto lines = lines_of(path);
        return std::count_if(lines.begin(), lines.end(),
                             [&](const std::string& line) { return line.rfind(round + ",", 0) == 0; });
    };
    const auto reasons = m.failures;
    m.round = 5;
    m.failures = {{4, "two\nlines", false}};
    fedpp::federated::CsvMetricsWriter(path, Append{})(m);
    m.round = 6;
    fedpp::federated::CsvMetricsWriter(path, Append{})(m);
    {
        std::ofstream partial(path, std::ios::app);
        partial << "7,10,9,0,1,\"unfinished";
    }
    m.round = 5;
    fedpp::federated::CsvMetricsWriter(path, Append{4})(m); // resumed after round 4: rounds 5 and 6 again
    CHECK(rows_of_round("5") == 1);
    CHECK(rows_of_round("6") == 0);
    CHECK(rows_of_round("7") == 0);
    CHECK(lines_of(path).size() == 4); // the header, rounds 3, 4 and 5
    CHECK(lines_of(path).back().rfind("5,10,9,", 0) == 0);
    m.failures = reasons;
    m.round = 4;
    std::remove(path.c_str());
    // A missing file is started with the header; a file that is not one of
    // these is refused, and left as it was.
    fedpp::federated::CsvMetricsWriter(path, Append{})(m);
    CHECK(lines_of(path) == std::vector<std::string>{header, appended[2]});
    {
        std::ofstream other(path);
        other << "not,the,header\n1,2,3\n";
    }
    CHECK_THROWS_WITH(fedpp::federated::CsvMetricsWriter(path, Append{}),
                      Catch::Contains("does not start with the metrics header"));
    CHECK(lines_of(path) == std::vector<std::string>{"not,the,header", "1,2,3"});
    std::remove(path.c_str());

    // A DP run releases no client's loss: the line says so, the CSV field is empty.
    m.train_loss.reset();
    CHECK_THAT(fedpp_test::progress_line(m, 100), Catch::Contains("clients 9/10  train loss    n/a  test acc  95.12%"));
    fedpp::federated::CsvMetricsWriter{path}(m);
    CHECK(lines_of(path).at(1).rfind("4,10,9,0,1,,0,0.9512,", 0) == 0);
    std::remove(path.c_str());
}

namespace {
/// In a child process whose files may grow to `limit` bytes (SIGXFSZ
/// ignored, so writes past it fail with EFBIG): writes rows to a
/// CsvMetricsWriter at `path` until it throws. The exit status says what
/// happened: 0 IoError naming the cause, 1 no error after 1,000 rows,
/// 2 another exception.
int write_csv_under_file_size_limit(const std::string& path, std::size_t limit) {
    const pid_t child = ::fork();
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const struct rlimit cap{static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
        ::setrlimit(RLIMIT_FSIZE, &cap);
        try {
            const fedpp::federated::CsvMetricsWriter csv(path);
            fedpp::federated::RoundMetrics m;
            m.failures.push_back({3, "a reason long enough to fill the file quickly"});
            for (m.round = 1; m.round <= 1000; ++m.round) {
                csv(m);
            }
            csv.close();
            ::_exit(1);
        } catch (const fedpp::IoError& e) {
            ::_exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 2);
        } catch (...) {
            ::_exit(2);
        }
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
} // namespace

TEST_CASE("the CSV metrics writer fails loudly when a write fails", "[federated][metrics]") {
    // Issue 9, item 9: on /dev/full, or under a file-size limit, the writer
    // ignored the errors: the run ended 0 with nothing, or half a row.
    CHECK_THROWS_MATCHES(fedpp::federated::CsvMetricsWriter("/dev/full"), fedpp::IoError,
                         Catch::Matchers::Predicate<std::exception>(
                             [](const std::exception& e) {
                                 return std::string(e.what()).find("No space left on device") != std::string::npos;
                             },
                             "names the cause"));
    const std::string path = "federated_metrics_limit_test.csv";
    CHECK(write_csv_under_file_size_limit(path, 600) == 0);
    std::remove(path.c_str());

    // close() reports, and a closed writer refuses to write.
    const std::string closed_path = "federated_metrics_closed_test.csv";
    const fedpp::federated::CsvMetricsWriter csv(closed_path);
    csv.close();
    CHECK_THROWS_AS(csv(fedpp::federated::RoundMetrics{}), fedpp::IoError);
    std::remove(closed_path.c_str());
}

TEST_CASE("bad configurations are rejected up front", "[federated]") {
    auto config = small_config();
    config.client_fraction = 0;
    CHECK_THROWS_AS(FederatedAveraging<Model>(small_mlp(), client_sets(3, 1), blobs(5, 1), config),
                    fedpp::ArgumentError);
    config = small_config();
    config.local.learning_rate = -1;
    CHECK_THROWS_AS(FederatedAveraging<Model>(small_mlp(), client_sets(3, 1), blobs(5, 1), config),
                    fedpp::ArgumentError);
    config = small_config();
    config.min_clients = 0;
    CHECK_THROWS_AS(FederatedAveraging<Model>(small_mlp(), client_sets(3, 1), blobs(5, 1), config),
                    fedpp::ArgumentError);
    CHECK_THROWS_WITH(FederatedAveraging<Model>(small_mlp(), std::vector<Dataset>(3), blobs(5, 1), small_config()),
                      Catch::Contains("no client has any data"));
}

TEST_CASE("robust aggregation withstands a client sending huge finite updates", "[federated][faults]") {
    auto config = small_config();
    config.rounds = 6;
    config.client_fraction = 1.0;
    // Client 0 is hostile: whatever it learns, it reports enormous weights.
    auto hostile = [](Model& model, const Dataset& d, const fedpp::training::LocalTraining& local,
                      fedpp::Generator& generator, std::size_t client, std::size_t) -> double {
        const double loss = fedpp::training::train_locally(model, d, local, generator);
        if (client == 0) {
            for (auto& p : model.parameters()) {
                p.value().setConstant(1e6f);
            }
        }
        return loss;
    };
    const auto sets = client_sets(9, 8);
    const auto test_set = blobs(300, 93);
    std::vector<double> accuracy;
    for (auto aggregation : {fedpp::federated::Aggregation::weighted_mean,
                             fedpp::federated::Aggregation::coordinate_median,
                             fedpp::federated::Aggregation::trimmed_mean}) {
        config.aggregation = aggregation;
        config.trim_fraction = 0.2;
        FederatedAveraging<Model> run(small_mlp(), sets, test_set, config, hostile);
        const auto metrics = run.run();
        CHECK(metrics.back().clients_aggregated == 8); // finite, well-shaped: accepted
        accuracy.push_back(metrics.back().test_accuracy);
    }
    CHECK(accuracy[0] < 0.6);  // the mean is dragged away
    CHECK(accuracy[1] > 0.85); // the median and trimmed mean are not
    CHECK(accuracy[2] > 0.85);
}

TEST_CASE("while a thread team runs on several threads, OpenBLAS runs each product on one, and gets its own count "
          "back after",
          "[federated][threads]") {
#if defined(FEDPP_HAS_OPENBLAS) && defined(OPENBLAS_VERSION)
    const int before = openblas_get_num_threads();
    openblas_set_num_threads(2); // as OpenBLAS starts on a machine of 2 cores or more
    if (openblas_get_num_threads() != 2) {
        openblas_set_num_threads(before);
        FEDPP_SKIP("OpenBLAS runs on one thread on this machine: there is nothing to limit");
    }
    fedpp::detail::ThreadTeam team(2);
    std::atomic<int> calls_on_more{0}; // calls of the job that found OpenBLAS on more than one thread
    const auto observe = [&](std::size_t) {
        if (openblas_get_num_threads() > 1) {
            ++calls_on_more;
        }
    };
    team.run(2, observe);
    CHECK(calls_on_more == 0);
    CHECK(openblas_get_num_threads() == 2);
    // Guards nest (two runs at once): the last one restores.
    {
        const fedpp::detail::SingleThreadedBlas outer;
        {
            const fedpp::detail::SingleThreadedBlas inner;
            CHECK(openblas_get_num_threads() == 1);
        }
        CHECK(openblas_get_num_threads() == 1);
    }
    CHECK(openblas_get_num_threads() == 2);
    // The twin: on one thread, OpenBLAS keeps its threads for the one product at a time.
    team.run(1, observe);
    CHECK(calls_on_more == 1);
    openblas_set_num_threads(before);
#else
    FEDPP_SKIP("this build has no OpenBLAS (FEDPP_HAS_OPENBLAS): there is no thread count to set");
#endif
}
