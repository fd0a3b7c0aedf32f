// FedAvg with secure aggregation (fedpp/federated/secure_driver.hpp): the
// same accuracy as plaintext FedAvg on the UCI digits, within the encoding's
// bound; bitwise the same for any thread count and after a resume; failing
// clients left out; the settings each driver refuses.
#include "data_files.hpp"

#include <fedpp/federated.hpp>
#include <fedpp/federated/secure_driver.hpp>
#include <fedpp/loaders.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <vector>

namespace {

using Model = fedpp::nn::Sequential<float>;
using Dataset = fedpp::data::Dataset<float>;
using fedpp::federated::Aggregation;
using fedpp::federated::SecureFederatedAveraging;

const fedpp::data::TrainTestSplit<float>& digits() {
    static const auto split =
        fedpp::data::split_every(fedpp::data::load_digits<float>(data_dir() / "digits" / "digits.csv.gz"), 5);
    return split;
}

Model mlp(std::uint64_t seed) {
    fedpp::Generator generator(seed);
    return Model(fedpp::nn::Linear<float>(64, 32, generator), fedpp::nn::ReLU{},
                 fedpp::nn::Linear<float>(32, 10, generator));
}

std::vector<Dataset> clients(std::size_t count) {
    fedpp::Generator generator(5);
    const auto parts = fedpp::data::partition_iid(digits().train.size(), static_cast<fedpp::Index>(count), generator);
    std::vector<Dataset> sets;
    for (const auto& rows : parts) {
        sets.push_back(digits().train.subset(rows));
    }
    return sets;
}

fedpp::federated::Config config_of(std::size_t rounds, Aggregation aggregation) {
    fedpp::federated::Config config;
    config.rounds = rounds;
    config.client_fraction = 0.5;
    config.local.epochs = 1;
    config.local.batch_size = 10;
    config.local.learning_rate = 0.1;
    config.seed = 3;
    config.threads = 2;
    config.aggregation = aggregation;
    return config;
}

double largest_difference(const Model& a, const Model& b) {
    double largest = 0;
    const auto pa = a.parameters();
    const auto pb = b.parameters();
    for (std::size_t k = 0; k < pa.size(); ++k) {
        largest = std::max(largest, double((pa[k].value() - pb[k].value()).cwiseAbs().maxCoeff()));
    }
    return largest;
}

} // namespace

TEST_CASE("secure FedAvg on the digits reaches plaintext FedAvg's accuracy, its models within the fixed-point "
          "bound",
          "[secure_driver]") {
    fedpp::federated::FederatedAveraging<Model> plain(mlp(1), clients(8), digits().test,
                                                      config_of(15, Aggregation::weighted_mean));
    SecureFederatedAveraging<Model> secure(mlp(1), clients(8), digits().test, config_of(15, Aggregation::secure));
    // One round from the same model: the means differ by at most the
    // encoding's bound (FixedPointEncoding::decode: n (1 + c) r / D, D the
    // weight units of the round), plus float32 rounding.
    auto expected = std::vector{plain.run_round()};
    auto metrics = std::vector{secure.run_round()};
    double units = 0;
    for (const std::size_t k : secure.select_clients(1)) {
        units += std::round(double(secure.client_sizes()[k]) /
                            double(*std::max_element(secure.client_sizes().begin(), secure.client_sizes().end())) *
                            std::ldexp(1.0, 18));
    }
    const double c = 8;
    const double r = 0.5 + (c + 1) * std::ldexp(1.0, 18 - 51);
    const double bound = double(metrics[0].clients_aggregated) * (1 + c) * r / units + 1e-6;
    CHECK(largest_difference(secure.global_model(), plain.global_model()) <= bound);
    for (const auto& m : plain.run()) {
        expected.push_back(m);
    }
    for (const auto& m : secure.run()) {
        metrics.push_back(m);
    }
    REQUIRE(metrics.size() == expected.size());
    for (std::size_t r = 0; r < metrics.size(); ++r) {
        CAPTURE(r);
        CHECK(metrics[r].aggregated);
        CHECK(metrics[r].failures.empty());
        CHECK(metrics[r].clients_aggregated == expected[r].clients_aggregated);
        CHECK(metrics[r].examples == expected[r].examples);
        CHECK(std::abs(metrics[r].test_accuracy - expected[r].test_accuracy) <= 0.01);
    }
    CHECK(metrics.back().test_accuracy >= 0.9);
    // Training amplifies the rounding a little, round after round (3e-4
    // after 15 rounds here), without changing what the model learns.
    CHECK(largest_difference(secure.global_model(), plain.global_model()) < 1e-3);
    // The aggregator received masked models only, and the model owner
    // fetched nothing from it but the means (and public scalars).
    for (const auto& t : secure.federation().transfers().entries()) {
        CAPTURE(t.type, t.from, t.to);
        if (t.kind == fedpp::TransferKind::move) {
            CHECK((t.to == "aggregator" || t.from == "aggregator"));
            CHECK((t.type == fedpp::Codec<fedpp::ProtocolMessage>::type_name() ||
                   t.type == fedpp::Codec<fedpp::Masked<Model>>::type_name()));
        }
    }
}

TEST_CASE("secure FedAvg is bitwise the same for 1 and 2 threads, and resumed from its checkpoint",
          "[secure_driver][threads]") {
    auto one = config_of(4, Aggregation::secure);
    one.threads = 1;
    SecureFederatedAveraging<Model> single(mlp(2), clients(6), digits().test, one);
    SecureFederatedAveraging<Model> two(mlp(2), clients(6), digits().test, config_of(4, Aggregation::secure));
    single.run();
    two.run();
    CHECK(fedpp::to_bytes(single.global_model()) == fedpp::to_bytes(two.global_model()));

    const auto path = std::filesystem::temp_directory_path() / "fedpp_secure_driver.ckpt";
    auto config = config_of(4, Aggregation::secure);
    config.checkpoint_path = path.string();
    config.checkpoint_every = 2;
    SecureFederatedAveraging<Model> first(mlp(2), clients(6), digits().test, config);
    first.run_round();
    first.run_round();
    fedpp::save_checkpoint(config.checkpoint_path, first.state());
    SecureFederatedAveraging<Model> resumed(mlp(2), clients(6), digits().test, config);
    resumed.resume_from(config.checkpoint_path);
    CHECK(resumed.rounds_done() == 2);
    resumed.run();
    CHECK(fedpp::to_bytes(resumed.global_model()) == fedpp::to_bytes(two.global_model()));
    std::filesystem::remove(path);
}

TEST_CASE("secure FedAvg leaves a failing client out with the reason, and each driver refuses the other's "
          "aggregation",
          "[secure_driver]") {
    constexpr auto flaky = fedpp::computation<"test.secure_driver.flaky">(
        [](Model& model, const Dataset& data, const fedpp::training::LocalTraining& local,
           fedpp::Generator& generator, std::size_t client, std::size_t /*round*/) {
            if (client == 1) {
                throw std::runtime_error("client 1 has no battery");
            }
            const double loss = fedpp::training::train_locally(model, data, local, generator);
            if (client == 2) {
                model.parameters()[0].value()(0, 0) = std::numeric_limits<float>::quiet_NaN();
            }
            return loss;
        });
    auto config = config_of(2, Aggregation::secure);
    config.client_fraction = 1.0;
    SecureFederatedAveraging<Model> run(mlp(3), clients(5), digits().test, config, {}, flaky);
    const auto m = run.run_round();
    CHECK(m.aggregated);
    CHECK(m.clients_aggregated == 3);
    REQUIRE(m.failures.size() == 2);
    CHECK(m.failures[0].client == 1);
    CHECK_THAT(m.failures[0].reason, Catch::Contains("no battery"));
    CHECK(m.failures[1].client == 2); // its model cannot be encoded: it drops out of the secure round
    CHECK_THAT(m.failures[1].reason, Catch::Contains("NaN"));

    CHECK_THROWS_MATCHES(SecureFederatedAveraging<Model>(mlp(3), clients(4), digits().test,
                                                         config_of(2, Aggregation::weighted_mean)),
                         fedpp::ArgumentError, MessageContains("Aggregation::secure"));
    auto with_dp = config_of(2, Aggregation::secure);
    with_dp.dp = fedpp::federated::DpConfig{};
    CHECK_THROWS_MATCHES(SecureFederatedAveraging<Model>(mlp(3), clients(4), digits().test, with_dp),
                         fedpp::ArgumentError, MessageContains("differential privacy"));
    CHECK_THROWS_MATCHES(fedpp::federated::FederatedAveraging<Model>(mlp(3), clients(4), digits().test,
                                                                     config_of(2, Aggregation::secure)),
                         fedpp::ArgumentError, MessageContains("SecureFederatedAveraging"));
}
