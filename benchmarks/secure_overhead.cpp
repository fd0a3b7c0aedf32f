// What secure aggregation adds to a FedAvg round on the 2NN (199,210
// float parameters; two_nn_rounds.hpp), read against a plaintext round of
// the same clients, data and settings: the cost a user of
// federated::SecureFederatedAveraging sees (issue 13), everything in this
// process on one thread.
//
//   secure_overhead/plaintext_round/clients:N/examples:E  one run_round() of
//       federated::FederatedAveraging (every client, trained models summed
//       at a trusted aggregator).
//   secure_overhead/secure_round/clients:N/examples:E  the same round of
//       federated::SecureFederatedAveraging: the same training, then
//       Bonawitz et al.'s protocol among the N clients and a sum-only
//       aggregator (complete graph, t the majority, OpenSSL's DRBG, no
//       dropouts), each of its 7 messages per client through the seam.
//   secure_overhead/secure_round_10pct_dropout/...  the same, with a tenth
//       of the clients failing their training (they are selected, then
//       drop out before masking: the protocol recovers their masks).
//   secure_overhead/secagg_plus_round[_10pct_dropout]/...  the same two
//       over SecAgg+'s sparse graph, of the degree
//       NeighbourGraph::degree_for(N, 0.1, 1e-6) (the counter "degree";
//       N - 1 is the complete graph).
//
// secure_round over plaintext_round is the overhead; the protocol's own
// costs at larger scale are fedpp_secure_aggregation_benchmark's (row 8).
//
// A standalone program, not part of scripts/run_benchmarks.sh:
//     cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF
//     cmake --build build-bench --target fedpp_secure_overhead && ./build-bench/benchmarks/fedpp_secure_overhead
#include "two_nn_rounds.hpp"

#include <fedpp/federated/secure_driver.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace {

using namespace two_nn_rounds;

void plaintext_round(benchmark::State& state) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    fedpp::Generator generator(seed);
    auto data = client_data(clients, state.range(1), generator);
    fedpp::federated::FederatedAveraging<Model> run(two_nn(generator), std::move(data), synthetic(10'000, generator),
                                                     round_config());
    time_rounds(state, run, clients);
}

/// Fails the training of every tenth client (k % 10 == 9): they drop out.
constexpr auto train_unless_tenth = fedpp::computation<"benchmarks.train_unless_tenth">(
    [](Model& model, const Dataset& data, const fedpp::training::LocalTraining& local, fedpp::Generator& generator,
       std::size_t client, std::size_t /*round*/) {
        if (client % 10 == 9) {
            throw std::runtime_error("benchmark: a client that drops out");
        }
        return fedpp::training::train_locally(model, data, local, generator);
    });

template <class Update>
void secure_round(benchmark::State& state, Update update, std::size_t dropped_per_ten, bool sparse) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    fedpp::Generator generator(seed);
    auto data = client_data(clients, state.range(1), generator);
    auto config = round_config();
    config.aggregation = fedpp::federated::Aggregation::secure;
    fedpp::secagg::SecureRoundOptions options;
    if (sparse) { // the smallest degree that survives 10% dropouts but once in a million rounds
        options.degree = fedpp::secagg::NeighbourGraph::degree_for(static_cast<std::uint32_t>(clients), 0.1, 1e-6);
        state.counters["degree"] = options.degree;
    }
    fedpp::federated::SecureFederatedAveraging<Model> run(two_nn(generator), std::move(data),
                                                           synthetic(10'000, generator), config, options, update);
    time_rounds(state, run, clients - clients / 10 * dropped_per_ten);
}

} // namespace

BENCHMARK(plaintext_round)->Name("secure_overhead/plaintext_round")->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, all, fedpp::federated::TrainLocally{}, 0, false)
    ->Name("secure_overhead/secure_round")
    ->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, dropouts, train_unless_tenth, 1, false)
    ->Name("secure_overhead/secure_round_10pct_dropout")
    ->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, sparse, fedpp::federated::TrainLocally{}, 0, true)
    ->Name("secure_overhead/secagg_plus_round")
    ->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, sparse_dropouts, train_unless_tenth, 1, true)
    ->Name("secure_overhead/secagg_plus_round_10pct_dropout")
    ->Apply(shapes);

BENCHMARK_MAIN();
