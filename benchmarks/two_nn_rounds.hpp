// The 2NN rounds that dp_overhead.cpp and secure_overhead.cpp time: the
// model (784-200-200-10, ReLU, 199,210 float parameters), MNIST-shaped
// synthetic data (uniform pixels, random labels: the cost of training does
// not depend on the values), and the round's settings (every client each
// round, one thread, E = 1, B = 10, lr 0.1), and the two shapes of 6,000
// training examples a round: 10 clients of 600 (McMahan et al. 2017's
// MNIST, C = 0.1 of 100) and 100 clients of 60.
#pragma once

#include <fedpp/federated.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace two_nn_rounds {

using T = float;
using Model = fedpp::nn::Sequential<T>;
using Dataset = fedpp::data::Dataset<T>;
constexpr std::uint64_t seed = 14;

inline Model two_nn(fedpp::Generator& generator) {
    return Model(fedpp::nn::Linear<T>(784, 200, generator), fedpp::nn::ReLU{},
                 fedpp::nn::Linear<T>(200, 200, generator), fedpp::nn::ReLU{},
                 fedpp::nn::Linear<T>(200, 10, generator));
}

inline Dataset synthetic(fedpp::Index examples, fedpp::Generator& generator) {
    fedpp::Matrix<T> features(examples, 784);
    for (fedpp::Index i = 0; i < features.size(); ++i) {
        features.data()[i] = static_cast<T>(generator.uniform01());
    }
    std::vector<std::int32_t> labels(static_cast<std::size_t>(examples));
    for (auto& label : labels) {
        label = static_cast<std::int32_t>(generator.below(10));
    }
    return Dataset(std::move(features), std::move(labels), 10);
}

/// `clients` data sets of `examples` each.
inline std::vector<Dataset> client_data(std::size_t clients, fedpp::Index examples, fedpp::Generator& generator) {
    std::vector<Dataset> data;
    for (std::size_t k = 0; k < clients; ++k) {
        data.push_back(synthetic(examples, generator));
    }
    return data;
}

/// Every client each round, one thread; run_round() is called directly.
inline fedpp::federated::Config round_config() {
    fedpp::federated::Config config;
    config.rounds = 1'000'000;
    config.client_fraction = 1.0;
    config.threads = 1;
    config.seed = seed;
    config.local.epochs = 1;
    config.local.batch_size = 10;
    config.local.learning_rate = 0.1;
    return config;
}

/// Times run_round() of `run` (after one warm-up round, which allocates
/// the clients' stores); an error if a round leaves a client out.
template <class Run>
void time_rounds(benchmark::State& state, Run& run, std::size_t clients) {
    run.run_round();
    for (auto _ : state) {
        const fedpp::federated::RoundMetrics metrics = run.run_round();
        if (metrics.clients_aggregated != clients) {
            state.SkipWithError("a round did not aggregate every client");
            break;
        }
        benchmark::DoNotOptimize(metrics.test_accuracy);
    }
}

inline void shapes(benchmark::internal::Benchmark* benchmark) {
    benchmark->ArgNames({"clients", "examples"})->Args({10, 600})->Args({100, 60});
    benchmark->Unit(benchmark::kMillisecond)->UseRealTime();
}

} // namespace two_nn_rounds
