// What the federated examples (digits_fedavg, mnist_fedavg) share: a
// federated::Config from the command line, and a run that prints one
// progress line per round and, with --csv, writes the metrics too.
#pragma once

#include "command_line.hpp"

#include <fedpp/federated.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace examples {

/// --rounds, --fraction, --epochs, --batch, --lr, --threads and --seed, with
/// each example's own defaults for the first two.
inline fedpp::federated::Config federated_config(const CommandLine& cli, std::size_t default_rounds,
                                                 double default_fraction) {
    fedpp::federated::Config config;
    config.rounds = cli.count("rounds", default_rounds);
    config.client_fraction = cli.number("fraction", default_fraction);
    config.local.epochs = cli.count("epochs", 1);
    config.local.batch_size = cli.count("batch", 10);
    config.local.learning_rate = cli.number("lr", 0.1);
    config.threads = cli.count("threads", 0);
    config.seed = cli.count("seed", 1);
    return config;
}

/// run.run(), printing a progress line per round to stdout and, if --csv
/// names a file, writing each round's metrics there.
template <class M>
std::vector<fedpp::federated::RoundMetrics> run_with_progress(fedpp::federated::FederatedAveraging<M>& run,
                                                              const CommandLine& cli) {
    const auto progress = fedpp::federated::progress_printer(stdout, run.config().rounds);
    std::optional<fedpp::federated::CsvMetricsWriter> csv;
    if (const std::string path = cli.text("csv", ""); !path.empty()) {
        csv.emplace(path);
    }
    return run.run([&](const fedpp::federated::RoundMetrics& m) {
        progress(m);
        if (csv) {
            (*csv)(m);
        }
    });
}

} // namespace examples
