// What client-level differential privacy adds to a FedAvg round on the 2NN
// (784-200-200-10, ReLU, 199,210 float parameters), read against a
// plaintext round of the same shape. The goal: under 5%.
//
//   dp_overhead/clip_and_noise/clients:N/examples:E   the DP work of one round
//       at the aggregator, for N clients: per client, update = trained -
//       global (privacy::model_update) and privacy::clip_l2 (norm, scale,
//       norm again), added with its weight to the round's sum; per round,
//       privacy::noised_estimate (199,210 Box-Muller draws from
//       fedpp::Generator, then the fixed denominator) added to the global
//       model. The clients' "trained" models are fixed perturbations of the
//       global one, prepared before timing (the training is the other
//       benchmark's business).
//   dp_overhead/plaintext_round/clients:N/examples:E  one run_round() of
//       federated::FederatedAveraging, one thread, N clients (C = 1) of E
//       synthetic MNIST-shaped examples each (uniform pixels, random
//       labels: the cost of training does not depend on the values), E = 1
//       epoch, B = 10, lr 0.1, evaluated on 10,000 such examples, as an
//       MNIST round is.
//   dp_overhead/dp_round/clients:N/examples:E  the same round with
//       config.dp (DP-FedAvg: fixed clip 0.5, z = 1, Poisson sampling with
//       q = C = 1, the accountant): the whole round's overhead is the ratio
//       of this row to the plaintext one.
//
// Two shapes with the same 6,000 training examples a round (two_nn_rounds.hpp;
// DP wants many clients: the per-client work grows with N).
// The plaintext round already sums the updates with their weights, so the
// weighted addition is counted in both (a slight overstatement of DP's
// share). clip_and_noise over plaintext_round is the overhead of the DP
// work alone; dp_round over plaintext_round is the overhead a user sees.
//
// A standalone program, not part of scripts/run_benchmarks.sh:
//     cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF
//     cmake --build build-bench --target fedpp_dp_overhead && ./build-bench/benchmarks/fedpp_dp_overhead
#include "two_nn_rounds.hpp"

#include <fedpp/privacy/clipping.hpp>
#include <fedpp/privacy/dp_estimator.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

namespace {

using namespace two_nn_rounds;

void clip_and_noise(benchmark::State& state) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    const auto examples = static_cast<std::size_t>(state.range(1));
    fedpp::Generator generator(seed);
    Model global = two_nn(generator);
    std::vector<Model> trained; // global + a small perturbation, one per client
    for (std::size_t k = 0; k < clients; ++k) {
        trained.push_back(global.copy());
        fedpp::privacy::add_gaussian_noise(trained.back(), 0.01, generator);
    }
    const std::vector<std::size_t> counts(clients, examples);
    const auto weights = fedpp::privacy::client_weights(fedpp::privacy::Estimator::weighted, counts, 600);
    const double q = 0.1;
    const double denominator = fedpp::privacy::fixed_denominator(q, std::vector<double>(10 * clients, weights[0]));
    const double clip = 0.5;
    const double z = 1.0;
    fedpp::WeightedSum<Model> sum(global);
    for (auto _ : state) {
        sum.reset();
        for (std::size_t k = 0; k < clients; ++k) {
            Model update = fedpp::privacy::model_update(trained[k], global);
            benchmark::DoNotOptimize(fedpp::privacy::clip_l2(update, clip));
            sum.add(update, weights[k]);
        }
        const Model estimate = fedpp::privacy::noised_estimate(sum.sum(), z * clip, denominator, generator);
        Model next = global.copy();
        const auto to = next.parameters();
        const auto from = estimate.parameters();
        for (std::size_t p = 0; p < to.size(); ++p) {
            auto target = to[p];
            target.value() += from[p].value();
        }
        benchmark::DoNotOptimize(next);
    }
    state.counters["parameters"] = static_cast<double>(fedpp::nn::parameter_count(global));
}

/// One run_round() of the driver, with DP-FedAvg (fixed clip, z = 1) or
/// without; everything else the same.
void federated_round(benchmark::State& state, bool dp) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    fedpp::Generator generator(seed);
    auto data = client_data(clients, state.range(1), generator);
    auto config = round_config();
    if (dp) {
        config.dp = fedpp::federated::DpConfig{};
        config.dp->clip_norm = 0.5;
        config.dp->noise_multiplier = 1.0;
    }
    fedpp::federated::FederatedAveraging<Model> run(two_nn(generator), std::move(data), synthetic(10'000, generator),
                                                     config);
    time_rounds(state, run, clients);
}

} // namespace

BENCHMARK(clip_and_noise)->Name("dp_overhead/clip_and_noise")->Apply(shapes);
BENCHMARK_CAPTURE(federated_round, plaintext, false)->Name("dp_overhead/plaintext_round")->Apply(shapes);
BENCHMARK_CAPTURE(federated_round, dp, true)->Name("dp_overhead/dp_round")->Apply(shapes);

BENCHMARK_MAIN();
