// Workload 10: one round of the FedAvg paper's MNIST CNN setting (McMahan et
// al. 2017, Table 2): the 10 clients a round of C = 0.1 of 100 takes part,
// each with 600 IID MNIST training images, E = 5, B = 10, lr 0.1, then the
// evaluation of the average on the 10,000 test images; once with one client
// thread and once with two. fedpp only: the numbers are the wall time of a
// round (examples/mnist_fedavg --model cnn runs hundreds of them) and the
// second thread's speed-up. Before timing, a round on one and on two
// threads must give a bitwise identical global model.
#include "driver_rounds.hpp"
#include "federated_round.hpp"

#include <fedpp/data/mnist.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace bench {

namespace {

using T = float;
using Model = fedpp::nn::Sequential<T>;
using Driver = fedpp::federated::FederatedAveraging<Model>;

constexpr std::size_t cnn_round_clients = 10;
constexpr std::uint64_t cnn_round_seed = 9;

std::string mnist_path(const std::string& file) { return data_file("mnist/" + file); }

/// Clients 0-9 of an IID split of the 60,000 training images into 100, and
/// the test set; loaded once.
struct CnnRoundData {
    CnnRoundData() {
        const auto train = fedpp::data::load_mnist<T>(mnist_path("train-images-idx3-ubyte.gz"),
                                                      mnist_path("train-labels-idx1-ubyte.gz"));
        fedpp::Generator generator(cnn_round_seed);
        const auto parts = fedpp::data::partition_iid(static_cast<std::size_t>(train.size()), 100, generator);
        for (std::size_t k = 0; k < cnn_round_clients; ++k) {
            clients.push_back(train.subset(parts[k]));
        }
        test = fedpp::data::load_mnist<T>(mnist_path("t10k-images-idx3-ubyte.gz"),
                                          mnist_path("t10k-labels-idx1-ubyte.gz"));
    }
    std::vector<fedpp::data::Dataset<T>> clients;
    fedpp::data::Dataset<T> test;
};

const CnnRoundData& cnn_round_data() {
    static const CnnRoundData data;
    return data;
}

/// The CNN of Table 2 (as examples/mnist_fedavg.cpp builds it).
Model paper_cnn() {
    using namespace fedpp::nn;
    fedpp::Generator generator(cnn_round_seed);
    Conv2d<T> conv1(fedpp::ImageShape{1, 28, 28}, 32, 5, generator, {.padding = 2});
    MaxPool2d pool1(conv1.output_shape(), 2);
    Conv2d<T> conv2(pool1.output_shape(), 64, 5, generator, {.padding = 2});
    MaxPool2d pool2(conv2.output_shape(), 2);
    Linear<T> fc1(pool2.output_shape().size(), 512, generator);
    Linear<T> fc2(512, 10, generator);
    return Model(std::move(conv1), ReLU{}, pool1, std::move(conv2), ReLU{}, pool2, Flatten{}, std::move(fc1), ReLU{},
                 std::move(fc2));
}

std::unique_ptr<Driver> make_driver(std::size_t threads) {
    fedpp::federated::Config config;
    config.rounds = 1'000'000; // run_round() is called directly
    config.client_fraction = 1.0;
    config.local.epochs = 5;
    config.local.batch_size = 10;
    config.local.learning_rate = 0.1;
    config.threads = threads;
    config.seed = cnn_round_seed;
    config.eval_batch = 100;
    const CnnRoundData& data = cnn_round_data();
    return std::make_unique<Driver>(paper_cnn(), data.clients, data.test, config);
}

void cnn_round(benchmark::State& state) {
    static const std::string mismatch = thread_count_mismatch(make_driver, 1, cnn_round_clients);
    time_rounds(state, mismatch, make_driver, 0, cnn_round_clients);
}

} // namespace

void register_cnn_round() {
    // A round takes tens of seconds: one per measurement, three measurements.
    benchmark::RegisterBenchmark("cnn_round/fedpp", cnn_round)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->Iterations(1)
        ->Repetitions(3)
        ->UseRealTime() // two threads: CPU time would count both
        ->Unit(benchmark::kMillisecond);
}

} // namespace bench
