// Federated averaging on the UCI handwritten digits (8x8 images, 10 classes)
// with an MLP 64-64-10: centralised training for comparison, IID clients,
// and Dirichlet non-IID clients. Runs in seconds.
//
//     ./digits_fedavg                                   # 10 IID clients, all each round, 100 rounds
//     ./digits_fedavg --partition dirichlet --alpha 0.5 --clients 100 --fraction 0.1 --rounds 300
//     ./digits_fedavg --partition centralised --rounds 30   # plain minibatch SGD, 30 epochs
//     ./digits_fedavg --aggregation secure              # secure aggregation: the aggregator learns only the mean
//     ./digits_fedavg --csv metrics.csv                 # also write per-round metrics
//     ./digits_fedavg --init-weights torch.safetensors --save-weights fedavg.npz   # to and from PyTorch
//
// Test set: the rows whose index % 5 == 0; the rest are training data.
#include "federated_cli.hpp"
#include "secure_cli.hpp"
#include "weights_cli.hpp"

#include <fedpp/data/digits.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#ifndef FEDPP_DATA_DIR
#define FEDPP_DATA_DIR "data"
#endif

namespace {
/// What a run that trained nothing (--rounds 0) reports: the initial model.
void report_untrained(const fedpp::nn::Sequential<float>& model, const fedpp::data::Dataset<float>& test) {
    const auto evaluation = fedpp::training::evaluate(model, test);
    std::printf("0 rounds: nothing trained; test accuracy of the initial model %.2f%%\n", 100 * evaluation.accuracy);
}

/// The final weights saved (--save-weights) and the final accuracy.
template <class Run>
int finish(const examples::CommandLine& cli, const Run& run, const std::vector<fedpp::federated::RoundMetrics>& metrics,
           const fedpp::data::Dataset<float>& test) {
    examples::save_final_weights(cli, run.global_model());
    if (metrics.empty()) {
        report_untrained(run.global_model(), test);
        return 0;
    }
    if (examples::no_round_aggregated(metrics)) {
        return 1;
    }
    const auto& last = metrics.back();
    std::printf("final test accuracy %.2f%% after %zu rounds (%.1f s)\n", 100 * last.test_accuracy, last.round,
                last.elapsed_seconds);
    return 0;
}

int digits_fedavg(const examples::CommandLine& cli) {
    using namespace fedpp;
    const std::string partition = cli.text("partition", "iid");
    if (partition != "iid" && partition != "dirichlet" && partition != "centralised") {
        cli.fail("unknown partition '" + partition + "' (iid, dirichlet or centralised)");
    }
    federated::Config config = examples::federated_config(cli, 100, 1.0);
    if (examples::secure_aggregation(cli, "digits_fedavg")) {
        if (partition == "centralised") {
            cli.fail("--aggregation secure is for federated runs, not --partition centralised");
        }
        config.aggregation = federated::Aggregation::secure; // with --dp-*: the clients add the noise in shares
    }
    const std::size_t clients = examples::client_count(cli, 10);
    if (cli.has("alpha") && partition != "dirichlet") { // not silently ignored
        cli.fail("option '--alpha' needs '--partition dirichlet' (it is the Dirichlet concentration)");
    }
    const double alpha = cli.number("alpha", 0.5);

    const auto all = data::load_digits<float>(cli.text("data", FEDPP_DATA_DIR "/digits/digits.csv.gz"));
    const auto split = data::split_every(all, 5);

    Generator generator(config.seed);
    nn::Sequential<float> model(nn::Linear<float>(64, 64, generator), nn::ReLU{},
                                nn::Linear<float>(64, 10, generator));
    examples::load_init_weights(cli, model);

    std::printf("digits: %lld training and %lld test examples; model %s\n", static_cast<long long>(split.train.size()),
                static_cast<long long>(split.test.size()), model.describe().c_str());

    if (partition == "centralised") {
        if (config.dp) {
            cli.fail("the --dp-* options are for federated runs, not --partition centralised");
        }
        for (const char* option : {"epochs", "csv", "clients", "fraction", "threads"}) { // not silently ignored
            if (cli.has(option)) {
                cli.fail(std::string("option '--") + option +
                         "' is for federated runs; --partition centralised trains one epoch per --rounds");
            }
        }
        // Plain minibatch SGD on all the training data, one epoch per "round".
        training::LocalTraining one_epoch = config.local;
        one_epoch.epochs = 1;
        if (config.rounds == 0) {
            report_untrained(model, split.test);
        }
        for (std::size_t epoch = 1; epoch <= config.rounds; ++epoch) {
            const double loss = training::train_locally(model, split.train, one_epoch, generator);
            const auto test = training::evaluate(model, split.test);
            std::printf("epoch %3zu  train loss %.4f  test acc %6.2f%%\n", epoch, loss, 100 * test.accuracy);
            if (config.target_accuracy && test.accuracy >= *config.target_accuracy) {
                break;
            }
        }
        examples::save_final_weights(cli, model);
        return 0;
    }

    const auto parts = partition == "iid"
                           ? data::partition_iid(split.train.size(), static_cast<Index>(clients), generator)
                           : data::partition_dirichlet(split.train.labels(), 10, static_cast<Index>(clients), alpha,
                                                       generator);
    std::vector<data::Dataset<float>> client_data;
    for (const auto& rows : parts) {
        client_data.push_back(split.train.subset(rows));
    }
    std::printf("%zu clients (%s), C = %g, E = %zu, B = %zu, lr = %g\n", clients, partition.c_str(),
                config.client_fraction, config.local.epochs, config.local.batch_size, config.local.learning_rate);
    examples::print_dp_settings(config);

    if (config.aggregation == federated::Aggregation::secure) {
#ifdef FEDPP_EXAMPLES_SECURE_AGGREGATION
        federated::SecureFederatedAveraging<nn::Sequential<float>> run(std::move(model), std::move(client_data),
                                                                       split.test, config,
                                                                       examples::secure_round_options(config));
        const auto metrics = examples::run_with_progress(run, cli);
        examples::print_dp_spent(run);
        return finish(cli, run, metrics, split.test);
#endif
    }
    federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), std::move(client_data), split.test, config);
    const auto metrics = examples::run_with_progress(run, cli);
    examples::print_dp_spent(run);
    return finish(cli, run, metrics, split.test);
}
} // namespace

int main(int argc, char** argv) {
    return examples::run_program(
        argc, argv,
        examples::with_dp_options(
            {{"data", "path of digits.csv.gz (default: the repository's data/digits/digits.csv.gz)"},
             {"partition", "iid | dirichlet | centralised (default iid)"},
             {"clients", "number of clients K (default 10)"},
             {"alpha", "Dirichlet concentration (default 0.5)"},
             {"aggregation", examples::aggregation_help},
             {"fraction", "client fraction C per round (default 1)"},
             {"epochs", "local epochs E (default 1)"},
             {"batch", "local batch size B, 0 = all (default 10)"},
             {"lr", "learning rate (default 0.1)"},
             {"rounds", "rounds (epochs when centralised; default 100)"},
             {"threads", "client threads, 0 = all cores (default 0)"},
             {"seed", "seed (default 1)"},
             {"target", "stop at this test accuracy, e.g. 0.95 (default: run all rounds)"},
             {"csv", "write per-round metrics to this CSV file"},
             {"init-weights", examples::init_weights_help},
             {"save-weights", examples::save_weights_help}}),
        digits_fedavg);
}
