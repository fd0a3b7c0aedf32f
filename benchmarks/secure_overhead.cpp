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
//   secure_overhead/secagg_plus_round/...  the same over SecAgg+'s sparse
//       graph, of the degree NeighbourGraph::degree_for(N, 0.1, 1e-6) if
//       that is below N - 1 (the counter "degree"; N - 1: the complete
//       graph). Dropouts during the protocol are row 8's business.
//
// secure_round over plaintext_round is the overhead; the protocol's own
// costs at larger scale are fedpp_secure_aggregation_benchmark's (row 8).
//
// A standalone program, not part of scripts/run_benchmarks.sh:
//     cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF
//     cmake --build build-bench --target fedpp_secure_overhead
//     taskset -c 1 ./build-bench/benchmarks/fedpp_secure_overhead --benchmark_min_time=2
#include "two_nn_rounds.hpp"

#include <fedpp/federated/secure_driver.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
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

void secure_round(benchmark::State& state, bool sparse) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    fedpp::Generator generator(seed);
    auto data = client_data(clients, state.range(1), generator);
    auto config = round_config();
    config.aggregation = fedpp::federated::Aggregation::secure;
    fedpp::secagg::SecureRoundOptions options;
    const auto n = static_cast<std::uint32_t>(clients);
    if (sparse) { // the smallest degree that survives 10% dropouts but once in a million rounds, if below n - 1
        const std::uint32_t degree = fedpp::secagg::NeighbourGraph::degree_for(n, 0.1, 1e-6);
        options.degree = degree < n - 1 ? degree : 0;
    }
    state.counters["degree"] = options.degree == 0 ? n - 1 : options.degree;
    fedpp::federated::SecureFederatedAveraging<Model> run(two_nn(generator), std::move(data),
                                                           synthetic(10'000, generator), config, options);
    time_rounds(state, run, clients);
}

} // namespace

BENCHMARK(plaintext_round)->Name("secure_overhead/plaintext_round")->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, complete, false)->Name("secure_overhead/secure_round")->Apply(shapes);
BENCHMARK_CAPTURE(secure_round, sparse, true)->Name("secure_overhead/secagg_plus_round")->Apply(shapes);

BENCHMARK_MAIN();
