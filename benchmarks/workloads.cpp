// Inputs of the workloads, and the consistency check between the twins.
#include "workloads.hpp"

#include "twins.hpp"

#include <fedpp/base/random.hpp>
#include <fedpp/nn/conv2d.hpp>
#include <fedpp/nn/linear.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace bench {

std::string_view key(Workload workload) noexcept {
    switch (workload) {
    case Workload::tutorial: return "tutorial";
    case Workload::digits_mlp_b10: return "mlp_64_64_10_b10";
    case Workload::mnist_2nn_b10: return "mnist_2nn_b10";
    case Workload::mnist_2nn_b256: return "mnist_2nn_b256";
    case Workload::mlp_1024_b256: return "mlp_1024_1024_10_b256";
    case Workload::fedavg_100x1m: return "fedavg_100x1m";
    case Workload::mnist_cnn_b10: return "mnist_cnn_b10";
    case Workload::mnist_cnn_b64: return "mnist_cnn_b64";
    }
    return "unknown";
}

namespace {

/// The values of a fedpp::nn::Linear initialised from `generator`, so that
/// both twins start from fedpp's (torch.nn.Linear-like) initialisation.
LayerValues initial_layer(int in, int out, fedpp::Generator& generator) {
    const fedpp::nn::Linear<float> layer(in, out, generator);
    const auto& weight = layer.weight().value();
    const auto& bias = layer.bias().value();
    return {in, out, std::vector<float>(weight.data(), weight.data() + weight.size()),
            std::vector<float>(bias.data(), bias.data() + bias.size())};
}

MlpProblem make_mlp_problem(std::vector<int> widths, int batch, std::uint64_t seed) {
    MlpProblem problem;
    problem.widths = std::move(widths);
    problem.batch = batch;
    problem.learning_rate = 0.05f;
    fedpp::Generator generator(seed);
    for (std::size_t l = 0; l + 1 < problem.widths.size(); ++l) {
        problem.layers.push_back(initial_layer(problem.widths[l], problem.widths[l + 1], generator));
    }
    // Features in [0, 1), like normalised pixel intensities.
    problem.features.resize(static_cast<std::size_t>(batch) * static_cast<std::size_t>(problem.widths.front()));
    for (float& feature : problem.features) {
        feature = static_cast<float>(generator.uniform01());
    }
    problem.labels.resize(static_cast<std::size_t>(batch));
    for (auto& label : problem.labels) {
        label = static_cast<std::int32_t>(generator.below(static_cast<std::uint64_t>(problem.widths.back())));
    }
    return problem;
}

/// The values of a fedpp::nn::Conv2d over `input` images (PyTorch's
/// initialisation), from `generator`.
LayerValues initial_conv(fedpp::ImageShape input, int out, fedpp::Generator& generator) {
    const fedpp::nn::Conv2d<float> layer(input, out, 5, generator, {.padding = 2});
    const auto& weight = layer.weight().value();
    const auto& bias = layer.bias().value();
    return {static_cast<int>(weight.cols()), out, std::vector<float>(weight.data(), weight.data() + weight.size()),
            std::vector<float>(bias.data(), bias.data() + bias.size())};
}

CnnProblem make_cnn_problem(int batch, std::uint64_t seed) {
    CnnProblem problem;
    problem.batch = batch;
    problem.learning_rate = 0.05f;
    fedpp::Generator generator(seed);
    problem.layers.push_back(initial_conv({1, 28, 28}, 32, generator));
    problem.layers.push_back(initial_conv({32, 14, 14}, 64, generator));
    problem.layers.push_back(initial_layer(3136, 512, generator));
    problem.layers.push_back(initial_layer(512, 10, generator));
    problem.features.resize(static_cast<std::size_t>(batch) * 784);
    for (float& pixel : problem.features) {
        pixel = static_cast<float>(generator.uniform01());
    }
    problem.labels.resize(static_cast<std::size_t>(batch));
    for (auto& label : problem.labels) {
        label = static_cast<std::int32_t>(generator.below(10));
    }
    return problem;
}

/// splitmix64: a counter-based generator, so any parameter of any model can
/// be computed independently (and identically on both sides).
std::uint64_t splitmix64(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

} // namespace

double MlpProblem::matmul_flops_per_step() const {
    double flops = 0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const double product = 2.0 * batch * layers[l].in * layers[l].out;
        flops += (l == 0 ? 2.0 : 3.0) * product;
    }
    return flops;
}

double CnnProblem::matmul_flops_per_step() const {
    // Output values per image of each layer: 32x28x28, 64x14x14, 512, 10.
    const double outputs[] = {32.0 * 28 * 28, 64.0 * 14 * 14, 512, 10};
    double flops = 0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const double product = 2.0 * batch * (outputs[l] * layers[l].in);
        flops += (l == 0 ? 2.0 : 3.0) * product;
    }
    return flops;
}

const CnnProblem& cnn_problem(Workload workload) {
    static std::mutex mutex;
    static std::map<Workload, CnnProblem> problems;
    const std::lock_guard lock(mutex);
    if (const auto it = problems.find(workload); it != problems.end()) {
        return it->second;
    }
    switch (workload) {
    case Workload::mnist_cnn_b10: return problems[workload] = make_cnn_problem(10, 8);
    case Workload::mnist_cnn_b64: return problems[workload] = make_cnn_problem(64, 9);
    default: throw std::logic_error("cnn_problem: " + std::string(key(workload)) + " is not a CNN workload");
    }
}

const TutorialInit& tutorial_init() {
    static const TutorialInit init = [] {
        fedpp::Generator generator(2019); // examples/model_averaging.cpp's seed
        const fedpp::nn::Linear<float> model(2, 1, generator);
        return TutorialInit{{model.weight().value()(0, 0), model.weight().value()(0, 1)},
                            model.bias().value()(0, 0)};
    }();
    return init;
}

const MlpProblem& mlp_problem(Workload workload) {
    // Built on first use: the 1024-wide problem is a few megabytes.
    static std::mutex mutex;
    static std::map<Workload, MlpProblem> problems;
    const std::lock_guard lock(mutex);
    if (const auto it = problems.find(workload); it != problems.end()) {
        return it->second;
    }
    switch (workload) {
    case Workload::digits_mlp_b10: return problems[workload] = make_mlp_problem({64, 64, 10}, 10, 2);
    case Workload::mnist_2nn_b10: return problems[workload] = make_mlp_problem({784, 200, 200, 10}, 10, 3);
    case Workload::mnist_2nn_b256: return problems[workload] = make_mlp_problem({784, 200, 200, 10}, 256, 4);
    case Workload::mlp_1024_b256: return problems[workload] = make_mlp_problem({1024, 1024, 10}, 256, 5);
    default: throw std::logic_error("mlp_problem: " + std::string(key(workload)) + " is not an MLP workload");
    }
}

float fedavg_parameter(int model, std::uint64_t index) noexcept {
    const std::uint64_t bits = splitmix64((static_cast<std::uint64_t>(model) << 40) ^ index);
    // 24 random bits: exactly representable in a float.
    return static_cast<float>(bits >> 40) * 0x1.0p-23f - 1.0f;
}

double fedavg_weight(int model) noexcept {
    // Example counts between 50 and 549, as data owners with unequal data.
    return 50.0 + static_cast<double>(splitmix64(~static_cast<std::uint64_t>(model)) % 500);
}

std::vector<double> fedavg_weights() {
    std::vector<double> weights;
    for (int model = 0; model < fedavg_model_count; ++model) {
        weights.push_back(fedavg_weight(model));
    }
    return weights;
}

std::uint64_t fedavg_parameter_count() noexcept {
    std::uint64_t count = 0;
    for (std::size_t l = 0; l + 1 < fedavg_widths.size(); ++l) {
        count += static_cast<std::uint64_t>(fedavg_widths[l] + 1) * static_cast<std::uint64_t>(fedavg_widths[l + 1]);
    }
    return count;
}

#if FEDPP_BENCH_WITH_LIBTORCH
namespace {

/// Compares the twins' numbers to float tolerance, into `check`: the worst
/// difference as a fraction of the allowed one, and the first value out of
/// tolerance. The twins sum in different orders (Eigen's and OpenBLAS's
/// blocking), so equal results differ by a few float ulps per operation; a
/// wrong result (a missed gradient term, a wrong average) is off by far more.
void compare(const char* what, const std::vector<double>& fedpp, const std::vector<double>& libtorch,
             TwinCheck& check) {
    constexpr double relative_tolerance = 1e-4;
    constexpr double absolute_tolerance = 1e-5;
    if (fedpp.size() != libtorch.size()) {
        check.mismatch = std::string(what) + ": fedpp has " + std::to_string(fedpp.size()) + " values, libtorch " +
                         std::to_string(libtorch.size());
        return;
    }
    for (std::size_t i = 0; i < fedpp.size(); ++i) {
        const double allowed = absolute_tolerance + relative_tolerance * std::abs(libtorch[i]);
        const double used = std::abs(fedpp[i] - libtorch[i]) / allowed;
        check.tolerance_used = std::max(check.tolerance_used, used);
        if (!(used <= 1.0) && check.mismatch.empty()) { // NaN fails too
            char message[200];
            std::snprintf(message, sizeof message, "%s[%zu]: fedpp %.9g, libtorch %.9g", what, i, fedpp[i],
                          libtorch[i]);
            check.mismatch = message;
        }
    }
}

} // namespace
#endif

const TwinCheck& twin_check([[maybe_unused]] Workload workload) {
    static std::mutex mutex;
    static std::map<Workload, TwinCheck> checks;
    const std::lock_guard lock(mutex);
    if (const auto it = checks.find(workload); it != checks.end()) {
        return it->second;
    }
    TwinCheck check;
#if FEDPP_BENCH_WITH_LIBTORCH
    const Trace fedpp = fedpp_side::trace(workload);
    const Trace libtorch = libtorch_side::trace(workload);
    compare("loss", fedpp.losses, libtorch.losses, check);
    compare("parameter", fedpp.parameters, libtorch.parameters, check);
    if (!check.mismatch.empty()) {
        check.mismatch = "fedpp and libtorch disagree, so no ratio: " + check.mismatch;
    }
#endif
    return checks[workload] = std::move(check);
}

} // namespace bench
