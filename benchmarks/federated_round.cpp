// Workload 6: one round of the federated driver on the UCI digits, 1,000
// IID clients, all of them each round (C = 1), E = 1, B = 10, lr 0.1, the
// MLP 64-64-10; once with one client thread and once with two.
//
// Its goal is about fedpp against itself: the speed-up of the second
// thread (>= 1.8x), and the client updates per second. There is no libtorch
// twin: libtorch has no federated driver, and the ratio that matters here
// is between thread counts, measured in the same process.
//
// Next to it, the yardstick: the same clients' local training alone (each
// decodes the global model from bytes and trains it on its data, on the
// same thread team), with none of the federation: no workers, no transfers,
// no aggregation, no evaluation. Its 2-thread speed-up is what this machine
// gives this much work in this many small pieces; the round's speed-up is
// read against it.
//
// A round is what FederatedAveraging::run_round does: select the clients,
// send each the global model, train it there, move it to the aggregator,
// check it and add it to the weighted sum, average, evaluate the average on
// the held-out set. Before timing, rounds on one and on two threads must
// give a bitwise identical global model (the driver promises that); if they
// do not, both benchmarks are skipped with the difference as the error.
#include "driver_rounds.hpp"
#include "federated_round.hpp"

#include <fedpp/data/digits.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace bench {

namespace {

using T = float;
using Model = fedpp::nn::Sequential<T>;
using Driver = fedpp::federated::FederatedAveraging<Model>;

/// The clients' data and the held-out set, loaded and split once.
struct RoundData {
    RoundData() {
        const auto split = fedpp::data::split_every(fedpp::data::load_digits<T>(data_file("digits/digits.csv.gz")), 5);
        fedpp::Generator generator(federated_round_seed);
        for (const auto& rows : fedpp::data::partition_iid(
                 split.train.size(), static_cast<fedpp::Index>(federated_round_clients), generator)) {
            clients.push_back(split.train.subset(rows));
        }
        test = split.test;
    }
    std::vector<fedpp::data::Dataset<T>> clients;
    fedpp::data::Dataset<T> test;
};

const RoundData& round_data() {
    static const RoundData data;
    return data;
}

/// The MLP 64-64-10 every round starts from.
Model initial_model() {
    fedpp::Generator generator(federated_round_seed);
    return Model(fedpp::nn::Linear<T>(64, 64, generator), fedpp::nn::ReLU{}, fedpp::nn::Linear<T>(64, 10, generator));
}

/// E = 1, B = 10, lr 0.1.
fedpp::training::LocalTraining local_training() {
    fedpp::training::LocalTraining local;
    local.epochs = 1;
    local.batch_size = 10;
    local.learning_rate = 0.1;
    return local;
}

std::unique_ptr<Driver> make_driver(std::size_t threads) {
    fedpp::federated::Config config;
    config.rounds = 1'000'000; // run_round() is called directly; this only bounds run()
    config.client_fraction = 1.0;
    config.local = local_training();
    config.threads = threads;
    config.seed = federated_round_seed;
    const RoundData& data = round_data();
    return std::make_unique<Driver>(initial_model(), data.clients, data.test, config);
}

void federated_round(benchmark::State& state) {
    static const std::string mismatch = thread_count_mismatch(make_driver, 3, federated_round_clients);
    time_rounds(state, mismatch, make_driver, 1, federated_round_clients);
}

/// The yardstick: one round's local training, nothing else.
void bare_training(benchmark::State& state) {
    const auto threads = static_cast<std::size_t>(state.range(0));
    const RoundData& data = round_data();
    const fedpp::Bytes global_bytes = fedpp::to_bytes(initial_model());
    const fedpp::training::LocalTraining local = local_training();
    fedpp::detail::ThreadTeam team(threads);
    std::size_t round = 0;
    for (auto _ : state) {
        ++round;
        std::atomic<std::size_t> next{0};
        team.run(threads, [&](std::size_t) {
            for (std::size_t k = next.fetch_add(1); k < data.clients.size(); k = next.fetch_add(1)) {
                auto model = fedpp::from_bytes<Model>(global_bytes);
                fedpp::Generator client_generator(fedpp::detail::derive_seed(federated_round_seed, round, k + 1));
                const double loss = fedpp::training::train_locally(model, data.clients[k], local, client_generator);
                benchmark::DoNotOptimize(loss);
            }
        });
    }
    state.counters["clients"] = static_cast<double>(federated_round_clients);
}

} // namespace

void register_federated_round() {
    benchmark::RegisterBenchmark("federated_round/bare_training", bare_training)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("federated_round/fedpp", federated_round)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime() // two threads: CPU time would count both
        ->Unit(benchmark::kMillisecond);
}

} // namespace bench
