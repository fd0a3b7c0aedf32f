// Peak memory of one federated round with 100, 1,000 and 10,000 clients on
// the UCI digits: the round's peak grows with the model and the data, not
// with the number of clients (updates stream into a running sum at the
// aggregator and are deleted as they are added).
//
//     ./round_memory [path of digits.csv.gz]
#include "process_memory.hpp"

#include <fedpp/loaders.hpp>
#include <fedpp/federated.hpp>

#include <cstdio>
#include <vector>

#ifndef FEDPP_DATA_DIR
#define FEDPP_DATA_DIR "data"
#endif

int main(int argc, char** argv) {
    using namespace fedpp;
    const auto digits = data::load_digits<float>(argc > 1 ? argv[1] : FEDPP_DATA_DIR "/digits/digits.csv.gz");
    const auto split = data::split_every(digits, 5);
    std::printf("%8s  %14s  %18s  %18s\n", "clients", "in the round", "set-up (MiB)", "round peak (MiB)");
    for (const std::size_t clients : {100u, 1000u, 10000u}) {
        Generator generator(1);
        std::vector<data::Dataset<float>> client_data;
        for (const auto& rows : data::partition_iid(split.train.size(), static_cast<Index>(clients), generator)) {
            client_data.push_back(split.train.subset(rows));
        }
        nn::Sequential<float> model(nn::Linear<float>(64, 64, generator), nn::ReLU{},
                                    nn::Linear<float>(64, 10, generator));
        federated::Config config;
        config.rounds = 1;
        config.client_fraction = 1.0; // every client with data takes part
        config.local.batch_size = 10;
        const std::size_t before_setup = examples::proc_status_bytes("VmRSS");
        federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), client_data, split.test, config);
        const std::size_t before_round = examples::proc_status_bytes("VmRSS");
        const bool peak_reset = examples::reset_peak_rss();
        const auto metrics = run.run_round();
        const std::size_t peak = examples::proc_status_bytes("VmHWM");
        constexpr double mib = 1024.0 * 1024.0;
        std::printf("%8zu  %14zu  %18.1f  ", clients, metrics.clients_aggregated,
                    double(before_round - before_setup) / mib);
        if (peak_reset) {
            std::printf("%18.1f\n", double(peak - before_round) / mib);
        } else { // the process's peak so far, not the round's: not a measurement
            std::printf("%18s\n", "n/a (no clear_refs)");
        }
    }
    return 0;
}
