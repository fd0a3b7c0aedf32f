// Workload 9 (issue 9, item 12): a cross-device population. Set-up of
// 1,000,000 clients on the MNIST training set, and one round that selects
// 100 of them against a round of a federation of 100 clients in total.
//
//     fedpp_million_clients [--clients N] [--rounds R] [--out FILE.json]
//
// Set-up is what a user waits for between a loaded training set and a
// driver ready for its first round, as examples/mnist_fedavg.cpp does it: the
// IID partition, each client's data set (Dataset::subset) and the
// FederatedAveraging constructor (a Worker per client, its data moved in and
// sent to it once, its example count fetched). Its time and how far it raises the
// process's peak resident set are measured once per process (the
// federation's teardown is not timed).
//
// 60,000 examples among 1,000,000 clients: 60,000 clients hold one example,
// the others none (they are set up but never eligible). C = 0.0001 of the
// eligible clients would be 6, so min_clients = 100 makes every round select
// 100 of them. The comparison is a federation of exactly 100 clients, each
// with one example (the data of the large run's first 100 clients), the
// same model, test set and settings: the same work per round, so the ratio
// shows what the other 999,900 clients cost a round. The rounds alternate,
// large then small, `rounds` times; medians are reported. One client thread
// in both (a loaded 2-vCPU machine) and a 1,000-example test set, so that
// the evaluation does not hide the rest of the round.
#include "data_file.hpp"
#include "memory.hpp"

#include <sys/resource.h>

#include <fedpp/data/mnist.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace {

using T = float;
using Model = fedpp::nn::Sequential<T>;
using Driver = fedpp::federated::FederatedAveraging<Model>;
using Dataset = fedpp::data::Dataset<T>;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// This process's user + system CPU time: on a machine shared with other
/// work, wall time includes the waits for a core, CPU time does not.
double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Model mnist_2nn() {
    fedpp::Generator generator(1);
    return Model(fedpp::nn::Linear<T>(784, 200, generator), fedpp::nn::ReLU{}, fedpp::nn::Linear<T>(200, 200, generator),
                 fedpp::nn::ReLU{}, fedpp::nn::Linear<T>(200, 10, generator));
}

fedpp::federated::Config round_config() {
    fedpp::federated::Config config;
    config.client_fraction = 0.0001;
    config.min_clients = 100;
    config.local.epochs = 1;
    config.local.batch_size = 10;
    config.local.learning_rate = 0.1;
    config.threads = 1;
    config.rounds = 1000;
    return config;
}

std::string json_list(const std::vector<double>& values) {
    std::string text = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        text += (i ? ", " : "") + std::to_string(values[i]);
    }
    return text + "]";
}

} // namespace

int main(int argc, char** argv) {
    long clients = 1000000;
    int rounds = 5;
    std::string out;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--clients") == 0) {
            clients = std::atol(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--rounds") == 0) {
            rounds = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        }
    }
    const std::string dir = bench::data_file("mnist");
    const auto train = fedpp::data::load_mnist<T>(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
    const auto full_test = fedpp::data::load_mnist<T>(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    std::vector<fedpp::Index> first_rows(1000);
    std::iota(first_rows.begin(), first_rows.end(), fedpp::Index{0});
    const Dataset test = full_test.subset(first_rows);
    const fedpp::federated::Config config = round_config();

    // Set-up, from the loaded training set to a driver ready for round 1.
    std::unique_ptr<Driver> large;
    std::vector<Dataset> small_data;
    double setup_seconds = 0;
    double setup_cpu_seconds = 0;
    const double setup_peak = bench::peak_rss_growth([&] {
        const auto start = Clock::now();
        const double cpu_start = cpu_seconds();
        fedpp::Generator generator(1);
        const auto parts = fedpp::data::partition_iid(train.size(), clients, generator);
        std::vector<Dataset> client_data;
        client_data.reserve(parts.size());
        for (const auto& rows : parts) {
            client_data.push_back(train.subset(rows));
        }
        small_data.assign(client_data.begin(), client_data.begin() + 100);
        // Moved in: the driver lets go of each client's data once it is sent.
        large = std::make_unique<Driver>(mnist_2nn(), std::move(client_data), test, config);
        setup_seconds = seconds_since(start);
        setup_cpu_seconds = cpu_seconds() - cpu_start;
    });
    const double process_peak = static_cast<double>(bench::proc_status_bytes("VmHWM"));
    std::printf("set-up of %ld clients: %.2f s (CPU %.2f s), peak RSS +%.0f MiB (process peak %.0f MiB)\n", clients,
                setup_seconds, setup_cpu_seconds, setup_peak / 1048576, process_peak / 1048576);

    Driver small(mnist_2nn(), small_data, test, config);
    std::vector<double> large_rounds;
    std::vector<double> small_rounds;
    for (int r = 0; r < rounds; ++r) {
        large_rounds.push_back(large->run_round().round_seconds);
        small_rounds.push_back(small.run_round().round_seconds);
        std::printf("round %d: %zu of %ld clients %.4f s, 100 of 100 clients %.4f s\n", r + 1,
                    large->select_clients(static_cast<std::size_t>(r + 1)).size(), clients, large_rounds.back(),
                    small_rounds.back());
    }
    const double ratio = median(large_rounds) / median(small_rounds);
    std::printf("median round: %.4f s among %ld, %.4f s among 100: ratio %.3f\n", median(large_rounds), clients,
                median(small_rounds), ratio);
    if (!out.empty()) {
        std::ofstream file(out);
        file << "{\n  \"clients\": " << clients << ",\n  \"eligible\": " << std::min<long>(clients, train.size())
             << ",\n  \"setup_seconds\": " << setup_seconds
             << ",\n  \"setup_cpu_seconds\": " << setup_cpu_seconds << ",\n  \"setup_peak_rss_growth_bytes\": " << setup_peak
             << ",\n  \"process_peak_rss_bytes\": " << process_peak
             << ",\n  \"large_round_seconds\": " << json_list(large_rounds)
             << ",\n  \"small_round_seconds\": " << json_list(small_rounds) << "\n}\n";
    }
    return 0;
}
