// The libtorch twin of every workload: the same shapes, data, initial
// weights, steps and thread count, written as a libtorch user would.
#include "twins.hpp"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <dlfcn.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bench::libtorch_side {

namespace {

torch::Tensor float_tensor(const std::vector<float>& values, std::vector<std::int64_t> shape) {
    // from_blob does not copy; clone() gives the tensor its own storage.
    return torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat).clone();
}

void append(std::vector<double>& out, const torch::Tensor& tensor) {
    const torch::Tensor flat = tensor.detach().contiguous().view({-1});
    const float* data = flat.data_ptr<float>();
    out.insert(out.end(), data, data + flat.numel());
}

// ---------------------------------------------------------------------------
// 1. The tutorial's arithmetic in plain libtorch: per round, a clone of the
// model for each worker with its own optimiser, 5 local steps each, then the
// parameter-wise average, as PySyft's tutorial does without the workers.

struct TutorialLosses {
    std::vector<float> bob;
    std::vector<float> alice;
};

torch::nn::Linear run_tutorial(TutorialLosses* losses) {
    const TutorialInit& init = tutorial_init();
    const auto data = torch::tensor({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}).view({4, 2});
    const auto target = torch::tensor({0.f, 0.f, 1.f, 1.f}).view({4, 1});
    const auto bobs_data = data.slice(0, 0, 2);
    const auto bobs_target = target.slice(0, 0, 2);
    const auto alices_data = data.slice(0, 2, 4);
    const auto alices_target = target.slice(0, 2, 4);

    torch::nn::Linear model(2, 1);
    {
        const torch::NoGradGuard no_grad;
        model->weight.copy_(torch::tensor({init.weight[0], init.weight[1]}).view({1, 2}));
        model->bias.copy_(torch::tensor({init.bias}));
    }
    constexpr int iterations = 10;
    constexpr int worker_iters = 5;
    constexpr double learning_rate = 0.1;
    for (int a_iter = 0; a_iter < iterations; ++a_iter) {
        auto bobs_model = std::dynamic_pointer_cast<torch::nn::LinearImpl>(model->clone());
        auto alices_model = std::dynamic_pointer_cast<torch::nn::LinearImpl>(model->clone());
        torch::optim::SGD bobs_opt(bobs_model->parameters(), torch::optim::SGDOptions(learning_rate));
        torch::optim::SGD alices_opt(alices_model->parameters(), torch::optim::SGDOptions(learning_rate));
        float bobs_loss = 0;
        float alices_loss = 0;
        for (int wi = 0; wi < worker_iters; ++wi) {
            bobs_opt.zero_grad();
            auto bobs_pred = bobs_model->forward(bobs_data);
            auto bobs_step_loss = (bobs_pred - bobs_target).pow(2).sum();
            bobs_step_loss.backward();
            bobs_opt.step();
            bobs_loss = bobs_step_loss.item<float>();

            alices_opt.zero_grad();
            auto alices_pred = alices_model->forward(alices_data);
            auto alices_step_loss = (alices_pred - alices_target).pow(2).sum();
            alices_step_loss.backward();
            alices_opt.step();
            alices_loss = alices_step_loss.item<float>();
        }
        {
            const torch::NoGradGuard no_grad;
            model->weight.set_((alices_model->weight.data() + bobs_model->weight.data()) / 2);
            model->bias.set_((alices_model->bias.data() + bobs_model->bias.data()) / 2);
        }
        if (losses != nullptr) {
            losses->bob.push_back(bobs_loss);
            losses->alice.push_back(alices_loss);
        }
    }
    return model;
}

Trace tutorial_trace() {
    TutorialLosses losses;
    const auto model = run_tutorial(&losses);
    Trace trace;
    for (std::size_t round = 0; round < losses.bob.size(); ++round) {
        trace.losses.push_back(losses.bob[round]);
        trace.losses.push_back(losses.alice[round]);
    }
    append(trace.parameters, model->weight);
    append(trace.parameters, model->bias);
    return trace;
}

std::function<void()> tutorial_iteration() {
    return [] {
        auto model = run_tutorial(nullptr);
        benchmark::DoNotOptimize(model->bias.data_ptr());
    };
}

// ---------------------------------------------------------------------------
// 2-4, 9. One SGD step of a classifier (an MLP, or the CNN) on one batch.

torch::nn::Sequential make_mlp(const std::vector<LayerValues>& layers) {
    torch::nn::Sequential model;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const LayerValues& values = layers[l];
        torch::nn::Linear layer(values.in, values.out);
        {
            const torch::NoGradGuard no_grad;
            layer->weight.copy_(float_tensor(values.weight, {values.out, values.in}));
            layer->bias.copy_(float_tensor(values.bias, {values.out}));
        }
        model->push_back(layer);
        if (l + 1 < layers.size()) {
            model->push_back(torch::nn::ReLU());
        }
    }
    return model;
}

/// 9. The FedAvg paper's CNN, as a libtorch user writes it, from the same
/// values (a convolution's O x (C*5*5) rows are its O x C x 5 x 5 weight).
torch::nn::Sequential make_cnn(const std::vector<LayerValues>& layers) {
    using namespace torch::nn;
    Conv2d conv1(Conv2dOptions(1, 32, 5).padding(2));
    Conv2d conv2(Conv2dOptions(32, 64, 5).padding(2));
    Linear fc1(3136, 512);
    Linear fc2(512, 10);
    {
        const torch::NoGradGuard no_grad;
        conv1->weight.copy_(float_tensor(layers[0].weight, {32, 1, 5, 5}));
        conv1->bias.copy_(float_tensor(layers[0].bias, {32}));
        conv2->weight.copy_(float_tensor(layers[1].weight, {64, 32, 5, 5}));
        conv2->bias.copy_(float_tensor(layers[1].bias, {64}));
        fc1->weight.copy_(float_tensor(layers[2].weight, {512, 3136}));
        fc1->bias.copy_(float_tensor(layers[2].bias, {512}));
        fc2->weight.copy_(float_tensor(layers[3].weight, {10, 512}));
        fc2->bias.copy_(float_tensor(layers[3].bias, {10}));
    }
    return Sequential(conv1, ReLU(), MaxPool2d(MaxPool2dOptions(2)), conv2, ReLU(), MaxPool2d(MaxPool2dOptions(2)),
                      Flatten(), fc1, ReLU(), fc2);
}

class MlpTraining {
public:
    explicit MlpTraining(const MlpProblem& problem)
        : model_(make_mlp(problem.layers)),
          features_(float_tensor(problem.features, {problem.batch, problem.widths.front()})),
          labels_(torch::tensor(torch::ArrayRef<std::int32_t>(problem.labels)).to(torch::kLong)),
          optimizer_(model_->parameters(), torch::optim::SGDOptions(problem.learning_rate)) {}

    explicit MlpTraining(const CnnProblem& problem)
        : model_(make_cnn(problem.layers)), features_(float_tensor(problem.features, {problem.batch, 1, 28, 28})),
          labels_(torch::tensor(torch::ArrayRef<std::int32_t>(problem.labels)).to(torch::kLong)),
          optimizer_(model_->parameters(), torch::optim::SGDOptions(problem.learning_rate)) {}

    torch::Tensor step() {
        optimizer_.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(model_->forward(features_), labels_);
        loss.backward();
        optimizer_.step();
        return loss;
    }

    [[nodiscard]] const torch::nn::Sequential& model() const noexcept { return model_; }

private:
    torch::nn::Sequential model_;
    torch::Tensor features_;
    torch::Tensor labels_;
    torch::optim::SGD optimizer_;
};

template <class Problem>
Trace mlp_trace(const Problem& problem) {
    MlpTraining training(problem);
    Trace trace;
    for (int step = 0; step < mlp_check_steps; ++step) {
        trace.losses.push_back(training.step().item<float>());
    }
    for (const auto& parameter : training.model()->parameters()) {
        append(trace.parameters, parameter);
    }
    return trace;
}

template <class Problem>
std::function<void()> mlp_iteration(const Problem& problem) {
    return [training = std::make_shared<MlpTraining>(problem)] {
        auto loss = training->step();
        benchmark::DoNotOptimize(loss.data_ptr());
    };
}

// ---------------------------------------------------------------------------
// 5. Weighted FedAvg of 100 models: a clone of the first model scaled by its
// weight, the others added with theirs (add_ with alpha, no temporaries),
// then divided by the total weight; the same arithmetic as fedpp's.

struct FedavgSetup {
    FedavgSetup() : weights(fedavg_weights()) {
        for (int m = 0; m < fedavg_model_count; ++m) {
            torch::nn::Sequential model;
            std::uint64_t index = 0;
            for (std::size_t l = 0; l + 1 < fedavg_widths.size(); ++l) {
                torch::nn::Linear layer(fedavg_widths[l], fedavg_widths[l + 1]);
                const torch::NoGradGuard no_grad;
                for (torch::Tensor* tensor : {&layer->weight, &layer->bias}) {
                    float* data = tensor->data_ptr<float>(); // contiguous: weight row-major, then bias
                    for (std::int64_t i = 0; i < tensor->numel(); ++i) {
                        data[i] = fedavg_parameter(m, index++);
                    }
                }
                model->push_back(layer);
                if (l + 2 < fedavg_widths.size()) {
                    model->push_back(torch::nn::ReLU());
                }
            }
            models.push_back(model);
        }
    }

    std::vector<torch::nn::Sequential> models;
    std::vector<double> weights;
};

FedavgSetup& fedavg_setup() {
    static FedavgSetup setup;
    return setup;
}

std::shared_ptr<torch::nn::SequentialImpl> weighted_average(const FedavgSetup& setup) {
    const torch::NoGradGuard no_grad;
    double total = 0;
    for (const double weight : setup.weights) {
        total += weight;
    }
    auto average = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(setup.models.front()->clone());
    auto sums = average->parameters();
    for (std::size_t i = 0; i < setup.models.size(); ++i) {
        const auto params = setup.models[i]->parameters();
        for (std::size_t k = 0; k < sums.size(); ++k) {
            if (i == 0) {
                sums[k].mul_(setup.weights[0]);
            } else {
                sums[k].add_(params[k], setup.weights[i]);
            }
        }
    }
    for (auto& sum : sums) {
        sum.div_(total);
    }
    return average;
}

Trace fedavg_trace() {
    const auto average = weighted_average(fedavg_setup());
    Trace trace;
    for (const auto& parameter : average->parameters()) {
        append(trace.parameters, parameter);
    }
    return trace;
}

std::function<void()> fedavg_iteration() {
    return [&setup = fedavg_setup()] {
        const auto average = weighted_average(setup);
        benchmark::DoNotOptimize(average.get());
    };
}

} // namespace

std::function<void()> iteration(Workload workload) {
    switch (workload) {
    case Workload::tutorial: return tutorial_iteration();
    case Workload::fedavg_100x1m: return fedavg_iteration();
    case Workload::mnist_cnn_b10:
    case Workload::mnist_cnn_b64: return mlp_iteration(cnn_problem(workload));
    default: return mlp_iteration(mlp_problem(workload));
    }
}

Trace trace(Workload workload) {
    switch (workload) {
    case Workload::tutorial: return tutorial_trace();
    case Workload::fedavg_100x1m: return fedavg_trace();
    case Workload::mnist_cnn_b10:
    case Workload::mnist_cnn_b64: return mlp_trace(cnn_problem(workload));
    default: return mlp_trace(mlp_problem(workload));
    }
}

void use_one_thread() {
    at::set_num_threads(1);
    at::set_num_interop_threads(1);
    // libtorch reaches BLAS through libblas.so.3, which Debian's alternatives
    // may point at OpenBLAS (threaded). Looked up at run time, because the
    // symbol exists only when it is OpenBLAS; the runner script also sets
    // OPENBLAS_NUM_THREADS=1 for the same reason.
    using SetThreads = void (*)(int);
    if (auto* set_threads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
        set_threads(1);
    }
}

std::string describe() {
    std::string text = "libtorch " TORCH_VERSION ", threads " + std::to_string(at::get_num_threads()) +
                       " intra-op / " + std::to_string(at::get_num_interop_threads()) + " inter-op";
    using GetConfig = char* (*)();
    if (auto* get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
        text += ", BLAS: OpenBLAS ";
        text += get_config();
    }
    using GetThreads = int (*)();
    if (auto* get_threads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
        text += " (" + std::to_string(get_threads()) + " thread)";
    }
    return text;
}

} // namespace bench::libtorch_side
