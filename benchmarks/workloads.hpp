// The workloads fedpp is benchmarked on, and the inputs both implementations
// (fedpp and its libtorch twin) start from.
//
// Everything here is plain data (std::vector, no Eigen, no libtorch), so the
// fedpp and libtorch sides are separate translation units that never see
// each other's headers, and both receive bit-identical initial weights and
// batches. The goals of each workload live with the table script
// (ratio_table.py); see also NOTES.md.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

enum class Workload : std::uint8_t {
    tutorial,       ///< 1. PySyft's model-averaging tutorial loop, end to end
    digits_mlp_b10, ///< 2. one SGD step, MLP 64-64-10, batch 10
    mnist_2nn_b10,  ///< 3. one SGD step, MNIST 2NN 784-200-200-10, batch 10
    mnist_2nn_b256, ///< 4a. the same on a batch of 256 (GEMM-bound)
    mlp_1024_b256,  ///< 4b. one SGD step, MLP 1024-1024-10, batch 256 (GEMM-bound)
    fedavg_100x1m,  ///< 5. weighted FedAvg of 100 models of ~1M parameters
    // 6. the federated driver's round: fedpp only, 1 vs 2 threads (federated_round.hpp)
    mnist_cnn_b10,  ///< 9a. one SGD step, the FedAvg paper's MNIST CNN, batch 10
    mnist_cnn_b64,  ///< 9b. the same on a batch of 64
    // 10. a federated round of the CNN: fedpp only, 1 vs 2 threads (federated_round.hpp)
};

inline constexpr std::array all_workloads{Workload::tutorial,       Workload::digits_mlp_b10,
                                          Workload::mnist_2nn_b10,  Workload::mnist_2nn_b256,
                                          Workload::mlp_1024_b256,  Workload::fedavg_100x1m,
                                          Workload::mnist_cnn_b10,  Workload::mnist_cnn_b64};

/// True for the CNN workloads (9a, 9b).
[[nodiscard]] constexpr bool is_cnn(Workload workload) noexcept {
    return workload == Workload::mnist_cnn_b10 || workload == Workload::mnist_cnn_b64;
}

/// The benchmark name prefix, "<key>/fedpp" and "<key>/libtorch"; the table
/// script matches its goals on these keys.
[[nodiscard]] std::string_view key(Workload workload) noexcept;

// ---------------------------------------------------------------------------
// 1. The tutorial: the initial Linear(2, 1) (fedpp::Generator(2019), as in
// examples/model_averaging.cpp). The data, steps and learning rate are the
// tutorial's own (examples/model_averaging.hpp).

struct TutorialInit {
    std::array<float, 2> weight; ///< 1 x 2
    float bias;
};
[[nodiscard]] const TutorialInit& tutorial_init();

// ---------------------------------------------------------------------------
// 2-4. A classifier MLP (Linear, ReLU, ..., Linear), one batch with integer
// labels, mean cross-entropy, plain SGD.

struct LayerValues {
    int in = 0;
    int out = 0;
    std::vector<float> weight; ///< out x in, row-major
    std::vector<float> bias;   ///< out
};

struct MlpProblem {
    std::vector<int> widths;          ///< {in, hidden..., classes}
    int batch = 0;
    float learning_rate = 0;
    std::vector<LayerValues> layers;  ///< initial weights, torch.nn.Linear's initialisation
    std::vector<float> features;      ///< batch x widths.front(), row-major
    std::vector<std::int32_t> labels; ///< batch, in [0, widths.back())

    /// Matrix-product flops of one training step: per layer 2*B*in*out for
    /// the forward product and as much for the weight gradient, plus as much
    /// again for the input gradient of every layer but the first (whose
    /// input, the data, needs none).
    [[nodiscard]] double matmul_flops_per_step() const;
};

/// The problem of an MLP workload (2-4); built once, on first use.
[[nodiscard]] const MlpProblem& mlp_problem(Workload workload);

/// How many SGD steps the twins take before their results are compared.
inline constexpr int mlp_check_steps = 5;

// ---------------------------------------------------------------------------
// 9. The FedAvg paper's MNIST CNN (McMahan et al. 2017, Table 2; 1,663,370
// parameters): Conv2d(1, 32, 5, padding 2) -> ReLU -> MaxPool2d(2) ->
// Conv2d(32, 64, 5, padding 2) -> ReLU -> MaxPool2d(2) -> Flatten ->
// Linear(3136, 512) -> ReLU -> Linear(512, 10); a batch of 1x28x28 images,
// mean cross-entropy, plain SGD.

struct CnnProblem {
    int batch = 0;
    float learning_rate = 0;
    /// conv1, conv2, fc1, fc2; a convolution's `in` is C * 5 * 5 and its
    /// weight out x (C*5*5), the rows of PyTorch's O x C x 5 x 5 weight.
    std::vector<LayerValues> layers;
    std::vector<float> features;      ///< batch x 784, row-major (N x 1 x 28 x 28)
    std::vector<std::int32_t> labels; ///< batch, in [0, 10)

    /// Matrix-product flops of one training step: per layer 2 * (output
    /// values) * (inputs per output) for the forward product, as much for
    /// the weight gradient, and as much for the input gradient of every
    /// layer but the first.
    [[nodiscard]] double matmul_flops_per_step() const;
};

/// The problem of a CNN workload (9a, 9b); built once, on first use.
[[nodiscard]] const CnnProblem& cnn_problem(Workload workload);

// ---------------------------------------------------------------------------
// 5. FedAvg: model_count models of the MLP `fedavg_widths`, weighted by
// example counts. Parameter values come from a counter-based hash, so each
// side fills its own storage directly (no 400 MB staging copy).

inline constexpr int fedavg_model_count = 100;
inline constexpr std::array<int, 3> fedavg_widths{1000, 1000, 10}; // 1,011,010 parameters

/// Parameter `index` (in parameters() order: weight row-major, then bias,
/// layer by layer) of model `model`, uniform on [-1, 1).
[[nodiscard]] float fedavg_parameter(int model, std::uint64_t index) noexcept;
/// The weight (an example count) of model `model`.
[[nodiscard]] double fedavg_weight(int model) noexcept;
[[nodiscard]] std::vector<double> fedavg_weights();
[[nodiscard]] std::uint64_t fedavg_parameter_count() noexcept;

// ---------------------------------------------------------------------------
// What each twin reports for the consistency check: numbers that must agree
// to float tolerance (losses along the way, then the final parameters).

struct Trace {
    std::vector<double> losses;
    std::vector<double> parameters;
};

struct TwinCheck {
    /// Empty when the twins agree (or when this build has no libtorch twin);
    /// otherwise what differs, for State::SkipWithError.
    std::string mismatch;
    /// The largest difference between the twins, as a fraction of the
    /// allowed one (at most 1 when they agree).
    double tolerance_used = 0;
};

/// Checks that the fedpp and libtorch twins of `workload` compute the same
/// result from the same inputs, once per process (the result is cached).
[[nodiscard]] const TwinCheck& twin_check(Workload workload);

} // namespace bench
