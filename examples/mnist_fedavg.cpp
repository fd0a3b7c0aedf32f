// The FedAvg paper's MNIST experiments (McMahan et al., 2017): the "2NN" of
// Table 1 (784-200-200-10, ReLU, 199,210 parameters) or the CNN of Table 2
// (two 5x5 convolutions with 32 and 64 channels, each followed by 2x2 max
// pooling, a 512-unit ReLU layer and a softmax; 1,663,370 parameters), 100
// clients with IID or pathological non-IID data (sorted by label, 200 shards
// of 300, two per client), a fraction C of clients per round, E local epochs
// of minibatch SGD with batch size B. Stops at a target test accuracy (97%
// for the 2NN, 99% for the CNN, as in the paper) and reports the round that
// reached it and the wall time per round.
//
//     ./mnist_fedavg --partition iid    --fraction 0.1 --epochs 1 --batch 10 --lr 0.1
//     ./mnist_fedavg --partition noniid --fraction 0.1 --epochs 1 --batch 10 --lr 0.1
//     ./mnist_fedavg --model cnn --partition iid --fraction 0.1 --epochs 5 --batch 10 --lr 0.05
//     ./mnist_fedavg --init-weights torch.safetensors --save-weights fedavg.npz   # to and from PyTorch
#include "federated_cli.hpp"
#include "weights_cli.hpp"

#include <fedpp/data/mnist.hpp>
#include <fedpp/data/partition.hpp>
#include <fedpp/federated.hpp>

#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifndef FEDPP_DATA_DIR
#define FEDPP_DATA_DIR "data"
#endif

namespace {

/// The 2NN of Table 1.
fedpp::nn::Sequential<float> two_nn(fedpp::Generator& generator) {
    using namespace fedpp::nn;
    return Sequential<float>(Linear<float>(784, 200, generator), ReLU{}, Linear<float>(200, 200, generator), ReLU{},
                             Linear<float>(200, 10, generator));
}

/// The CNN of Table 2, for images of `image` (MNIST's 1x28x28): 5x5
/// convolutions with "same" padding, so that 28x28 is pooled to 14x14 and
/// then 7x7, and the paper's parameter count is met exactly.
fedpp::nn::Sequential<float> paper_cnn(fedpp::ImageShape image, fedpp::Generator& generator) {
    using namespace fedpp::nn;
    Conv2d<float> conv1(image, 32, 5, generator, {.padding = 2});
    MaxPool2d pool1(conv1.output_shape(), 2);
    Conv2d<float> conv2(pool1.output_shape(), 64, 5, generator, {.padding = 2});
    MaxPool2d pool2(conv2.output_shape(), 2);
    Linear<float> fc1(pool2.output_shape().size(), 512, generator); // named: the draws are in layer order
    Linear<float> fc2(512, 10, generator);
    return Sequential<float>(std::move(conv1), ReLU{}, pool1, std::move(conv2), ReLU{}, pool2, Flatten{},
                             std::move(fc1), ReLU{}, std::move(fc2));
}

/// glibc hands freed memory back to the kernel whenever more than a
/// threshold (twice the largest block freed so far) is free at the top of
/// the heap, and the next training step faults it in again, zeroed: with a
/// CNN's activations, tens of megabytes per step. Keeping it costs nothing
/// here; it makes the CNN's rounds 10-25% faster on this program's machine.
void keep_freed_memory() {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
}

int mnist_fedavg(const examples::CommandLine& cli) {
    using namespace fedpp;
    const std::string partition = cli.text("partition", "iid");
    if (partition != "iid" && partition != "noniid") {
        cli.fail("unknown partition '" + partition + "' (iid or noniid)");
    }
    const std::string kind = cli.text("model", "2nn");
    if (kind != "2nn" && kind != "cnn") {
        cli.fail("unknown model '" + kind + "' (2nn or cnn)");
    }
    const bool cnn = kind == "cnn";
    federated::Config config = examples::federated_config(cli, 2000, 0.1, cnn ? 0.99 : 0.97);
    const std::size_t clients = examples::client_count(cli, 100);
    if (cnn) {
        config.eval_batch = 100; // 1,000 test images at once would hold ~250 MB of activations
        keep_freed_memory();
    }

    const std::string dir = cli.text("data", FEDPP_DATA_DIR "/mnist");
    const auto train = data::load_mnist<float>(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
    const auto test = data::load_mnist<float>(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    Generator generator(config.seed);
    const auto parts = partition == "iid"
                           ? data::partition_iid(train.size(), static_cast<Index>(clients), generator)
                           : data::partition_shards(train.labels(), static_cast<Index>(clients), 2, generator);
    std::vector<data::Dataset<float>> client_data;
    for (const auto& rows : parts) {
        client_data.push_back(train.subset(rows));
    }

    nn::Sequential<float> model = cnn ? paper_cnn(train.image_shape(), generator) : two_nn(generator);
    examples::load_init_weights(cli, model);

    std::printf("MNIST %s (%s, %lld parameters), %zu clients (%s), C = %g, E = %zu, B = %zu, lr = %g, target %.2f%%\n",
                cnn ? "CNN" : "2NN", model.describe().c_str(), static_cast<long long>(nn::parameter_count(model)), clients,
                partition.c_str(), config.client_fraction, config.local.epochs, config.local.batch_size,
                config.local.learning_rate, 100 * *config.target_accuracy);
    examples::print_dp_settings(config);

    federated::FederatedAveraging<nn::Sequential<float>> run(std::move(model), std::move(client_data), test, config);
    const auto metrics = examples::run_with_progress(run, cli);
    examples::print_dp_spent(run);
    examples::save_final_weights(cli, run.global_model());
    if (metrics.empty()) {
        const double accuracy = training::evaluate(run.global_model(), test, config.eval_batch).accuracy;
        std::printf("0 rounds: nothing trained; the initial model's test accuracy is %.2f%% (target %.2f%%)\n",
                    100 * accuracy, 100 * *config.target_accuracy);
        return accuracy >= *config.target_accuracy ? 0 : 1;
    }
    if (examples::no_round_aggregated(metrics)) {
        return 1;
    }
    const auto& last = metrics.back();
    const double mean_round = last.elapsed_seconds / static_cast<double>(metrics.size());
    if (last.test_accuracy >= *config.target_accuracy) {
        std::printf("reached %.2f%% test accuracy at round %zu (%.1f s, %.3f s per round)\n",
                    100 * last.test_accuracy, last.round, last.elapsed_seconds, mean_round);
        return 0;
    }
    std::printf("did not reach %.2f%% in %zu rounds (best %.2f%%; %.3f s per round)\n", 100 * *config.target_accuracy,
                last.round,
                100 * std::accumulate(metrics.begin(), metrics.end(), 0.0,
                                      [](double best, const auto& m) { return std::max(best, m.test_accuracy); }),
                mean_round);
    return 1;
}
} // namespace

int main(int argc, char** argv) {
    return examples::run_program(
        argc, argv,
        examples::with_dp_options(
            {{"data", "directory with the four MNIST .gz files (default: the repository's data/mnist)"},
             {"model", "2nn | cnn (default 2nn)"},
             {"partition", "iid | noniid (default iid)"},
             {"clients", "number of clients (default 100)"},
             {"fraction", "client fraction C (default 0.1)"},
             {"epochs", "local epochs E (default 1)"},
             {"batch", "local batch size B, 0 = all local data (default 10)"},
             {"lr", "learning rate (default 0.1)"},
             {"target", "target test accuracy (default 0.97 for the 2nn, 0.99 for the cnn)"},
             {"rounds", "maximum number of rounds (default 2000)"},
             {"threads", "client threads, 0 = all cores (default 0)"},
             {"seed", "seed (default 1)"},
             {"csv", "write per-round metrics to this CSV file"},
             {"init-weights", examples::init_weights_help},
             {"save-weights", examples::save_weights_help}}),
        mnist_fedavg);
}
