// The fedpp side of every workload.
#include "twins.hpp"

#include "model_averaging.hpp"

#include <fedpp/fedpp.hpp>

#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bench::fedpp_side {

namespace {

using T = float;
using Matrix = fedpp::Matrix<T>;

// ---------------------------------------------------------------------------
// 1. The tutorial, exactly as examples/model_averaging.cpp runs it: a new
// Federation with three workers, the data sent, 10 rounds of 5 local steps
// per worker, the trained models moved to the secure worker and averaged
// there, the average fetched.

fedpp::nn::Linear<T> tutorial_model() {
    const TutorialInit& init = tutorial_init();
    return fedpp::nn::Linear<T>(Matrix{{init.weight[0], init.weight[1]}}, Matrix{{init.bias}});
}

Trace tutorial_trace() {
    const auto result = tutorial::run<T>(tutorial_model());
    Trace trace;
    for (std::size_t round = 0; round < result.bob_losses.size(); ++round) {
        trace.losses.push_back(result.bob_losses[round]);
        trace.losses.push_back(result.alice_losses[round]);
    }
    for (const auto& parameter : result.model.parameters()) {
        trace.parameters.insert(trace.parameters.end(), parameter.value().data(),
                                parameter.value().data() + parameter.size());
    }
    return trace;
}

std::function<void()> tutorial_iteration() {
    return [initial = std::make_shared<const fedpp::nn::Linear<T>>(tutorial_model())] {
        auto result = tutorial::run<T>(initial->copy());
        benchmark::DoNotOptimize(result.model.bias().value()(0, 0));
    };
}

// ---------------------------------------------------------------------------
// 2-4, 9. One SGD step of a classifier (an MLP, or the CNN) on one batch.

fedpp::nn::Sequential<T> make_mlp(const std::vector<LayerValues>& layers) {
    fedpp::nn::Sequential<T> model;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const LayerValues& values = layers[l];
        model.push_back(fedpp::nn::Linear<T>(Eigen::Map<const Matrix>(values.weight.data(), values.out, values.in),
                                             Eigen::Map<const Matrix>(values.bias.data(), 1, values.out)));
        if (l + 1 < layers.size()) {
            model.push_back(fedpp::nn::ReLU{});
        }
    }
    return model;
}

/// 9. The FedAvg paper's CNN from its values (workloads.hpp).
fedpp::nn::Sequential<T> make_cnn(const std::vector<LayerValues>& layers) {
    using namespace fedpp::nn;
    const auto weight = [](const LayerValues& v) { return Matrix(Eigen::Map<const Matrix>(v.weight.data(), v.out, v.in)); };
    const auto bias = [](const LayerValues& v) { return Matrix(Eigen::Map<const Matrix>(v.bias.data(), 1, v.out)); };
    Conv2d<T> conv1(fedpp::ImageShape{1, 28, 28}, 5, {.padding = 2}, weight(layers[0]), bias(layers[0]));
    MaxPool2d pool1(conv1.output_shape(), 2);
    Conv2d<T> conv2(pool1.output_shape(), 5, {.padding = 2}, weight(layers[1]), bias(layers[1]));
    MaxPool2d pool2(conv2.output_shape(), 2);
    return Sequential<T>(std::move(conv1), ReLU{}, pool1, std::move(conv2), ReLU{}, pool2, Flatten{},
                         Linear<T>(weight(layers[2]), bias(layers[2])), ReLU{},
                         Linear<T>(weight(layers[3]), bias(layers[3])));
}

/// What a training loop keeps from step to step.
class MlpTraining {
public:
    explicit MlpTraining(const MlpProblem& problem)
        : model_(make_mlp(problem.layers)),
          features_(Matrix(Eigen::Map<const Matrix>(problem.features.data(), problem.batch, problem.widths.front()))),
          labels_(problem.labels), optimizer_(model_.parameters(), problem.learning_rate) {}

    explicit MlpTraining(const CnnProblem& problem)
        : model_(make_cnn(problem.layers)),
          features_(Matrix(Eigen::Map<const Matrix>(problem.features.data(), problem.batch, 784))),
          labels_(problem.labels), optimizer_(model_.parameters(), problem.learning_rate) {}

    /// zero_grad, forward, loss, backward, update; returns the loss before
    /// the update.
    fedpp::Tensor<T> step() {
        optimizer_.zero_grad();
        auto loss = fedpp::nn::cross_entropy(model_(features_), labels_);
        loss.backward();
        optimizer_.step();
        return loss;
    }

    [[nodiscard]] const fedpp::nn::Sequential<T>& model() const noexcept { return model_; }

private:
    fedpp::nn::Sequential<T> model_;
    fedpp::Tensor<T> features_;
    std::vector<std::int32_t> labels_;
    fedpp::optim::SGD<T> optimizer_;
};

template <class Problem>
Trace mlp_trace(const Problem& problem) {
    MlpTraining training(problem);
    Trace trace;
    for (int step = 0; step < mlp_check_steps; ++step) {
        trace.losses.push_back(training.step().item());
    }
    for (const auto& parameter : training.model().parameters()) {
        trace.parameters.insert(trace.parameters.end(), parameter.value().data(),
                                parameter.value().data() + parameter.size());
    }
    return trace;
}

template <class Problem>
std::function<void()> mlp_iteration(const Problem& problem) {
    return [training = std::make_shared<MlpTraining>(problem)] {
        auto loss = training->step();
        benchmark::DoNotOptimize(loss.value().data());
    };
}

// ---------------------------------------------------------------------------
// 5. Weighted FedAvg of 100 models at a trusted aggregator.

using Secure = fedpp::TrustedAggregator<"secure_worker">;
using Owner = fedpp::DataOwner<"owner">;
using Model = fedpp::nn::Sequential<T>;

/// The models at the aggregator, each moved there by a data owner of its
/// own (an aggregate takes data owners' contributions only); built
/// once (about 400 MB) and shared by the consistency check and the timed
/// runs.
struct FedavgSetup {
    FedavgSetup() {
        weights = fedavg_weights();
        for (int m = 0; m < fedavg_model_count; ++m) {
            std::uint64_t index = 0;
            std::vector<LayerValues> layers;
            for (std::size_t l = 0; l + 1 < fedavg_widths.size(); ++l) {
                LayerValues layer{fedavg_widths[l], fedavg_widths[l + 1], {}, {}};
                layer.weight.resize(static_cast<std::size_t>(layer.in) * static_cast<std::size_t>(layer.out));
                for (float& value : layer.weight) {
                    value = fedavg_parameter(m, index++);
                }
                layer.bias.resize(static_cast<std::size_t>(layer.out));
                for (float& value : layer.bias) {
                    value = fedavg_parameter(m, index++);
                }
                layers.push_back(std::move(layer));
            }
            owners.push_back(std::make_unique<fedpp::Worker<Owner>>(hook, "owner-" + std::to_string(m)));
            models.push_back(fedpp::send(make_mlp(layers), *owners.back()).move(secure));
        }
    }

    fedpp::Federation hook;
    fedpp::Worker<Secure> secure{hook};
    std::vector<std::unique_ptr<fedpp::Worker<Owner>>> owners;
    std::vector<fedpp::Pointer<Model, Secure>> models;
    std::vector<double> weights;
};

FedavgSetup& fedavg_setup() {
    static FedavgSetup setup;
    return setup;
}

Trace fedavg_trace() {
    FedavgSetup& setup = fedavg_setup();
    const Model average = fedpp::fedavg(setup.models, setup.weights).get();
    Trace trace;
    for (const auto& parameter : average.parameters()) {
        trace.parameters.insert(trace.parameters.end(), parameter.value().data(),
                                parameter.value().data() + parameter.size());
    }
    return trace;
}

/// One weighted average, computed at the aggregator; the result is deleted
/// there when its pointer goes out of scope.
std::function<void()> fedavg_iteration() {
    return [&setup = fedavg_setup()] {
        const auto average = fedpp::fedavg(setup.models, setup.weights);
        benchmark::DoNotOptimize(average.id());
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

namespace {

// Eigen 3.4's own list names an AVX2 and FMA build below AVX-512 "AVX SSE,
// SSE2, ...": no FMA, no AVX2, no comma after AVX. The machine line says
// what the kernels were compiled for.
std::string simd_in_use() {
    std::string sets = Eigen::SimdInstructionSetsInUse();
#if defined(EIGEN_VECTORIZE_AVX) && !defined(EIGEN_VECTORIZE_AVX512)
    if (sets.rfind("AVX SSE", 0) == 0)
        sets.replace(0, 7, "AVX, SSE");
#if defined(EIGEN_VECTORIZE_AVX2)
    sets = "AVX2, " + sets;
#endif
#if defined(EIGEN_VECTORIZE_FMA)
    sets = "FMA, " + sets;
#endif
#endif
    return sets;
}

} // namespace

std::string describe() {
    std::string text = "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                       "." + std::to_string(EIGEN_MINOR_VERSION) + ", SIMD: " + simd_in_use();
#ifdef FEDPP_HAS_CBLAS
    text += fedpp::detail::blas_kernels_usable()
                ? ", matrix products of at least 4M multiply-adds by BLAS (FEDPP_USE_BLAS)"
                : ", every matrix product by Eigen: FEDPP_USE_BLAS, but the BLAS's kernels for this CPU are older "
                  "than the AVX2 and FMA Eigen uses here";
#endif
    return text;
}

} // namespace bench::fedpp_side
