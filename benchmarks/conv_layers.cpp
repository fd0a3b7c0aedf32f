// conv2d's two paths, side by side on single layers (float, one thread):
// the direct kernels (fedpp/tensor/ops/direct_convolution.hpp) against
// unfolding each image and a matrix product (im2col + GEMM: OpenBLAS for the
// large products where fedpp has it, else Eigen), for the forward pass, the
// weight's gradient and the input's gradient. The evidence behind
// detail::direct_sums_pay, the rule that picks the path (benchmarks/NOTES.md,
// section 14-15): each row's `direct_rule` counter says whether the rule
// sends that computation to the direct kernel (1) or not (0); the ratio of a
// row's unfolded time to its direct time is what the rule should follow.
//
//   conv_layer/<layer>/<forward|weight_gradient|input_gradient>/<direct|unfolded>
//
// Layers: the MNIST CNN's two convolutions at batch 64, first layers of 1 to
// 3 input channels (3x3 and 5x5, 28x28 and 32x32 images) at batch 64, and
// 3x3 layers of 64 to 512 channels (VGG/ResNet shapes) and a 1x1 one, at
// batch 4 or 8.
// Both paths are run on the same data, and checked to agree (to float
// tolerance relative to the largest value) before timing.
//
// A standalone program, not part of scripts/run_benchmarks.sh:
//     cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_BENCHMARKS=ON -DFEDPP_BUILD_TESTS=OFF
//     cmake --build build-bench --target fedpp_conv_layers
//     OPENBLAS_NUM_THREADS=1 ./build-bench/benchmarks/fedpp_conv_layers
#include <fedpp/base/matrix_product.hpp>
#include <fedpp/tensor/ops/convolution.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <utility>

namespace {

using fedpp::Index;
using fedpp::detail::WindowGeometry;
using Matrix = fedpp::Matrix<float>;

struct Layer {
    const char* name;
    Index batch;
    fedpp::ImageShape input;
    Index out_channels;
    fedpp::Window2d window;
};

constexpr Layer layers[] = {
    {"mnist_cnn_conv2_b64", 64, {32, 14, 14}, 64, {5, 1, 2}},
    {"mnist_cnn_conv1_b64", 64, {1, 28, 28}, 32, {5, 1, 2}},
    {"c1_28x28_3x3_b64", 64, {1, 28, 28}, 32, {3, 1, 1}},
    {"c2_28x28_3x3_b64", 64, {2, 28, 28}, 32, {3, 1, 1}},
    {"c3_32x32_3x3_b64", 64, {3, 32, 32}, 32, {3, 1, 1}},
    {"c3_32x32_5x5_b64", 64, {3, 32, 32}, 64, {5, 1, 2}},
    {"c64_56x56_3x3_b8", 8, {64, 56, 56}, 64, {3, 1, 1}},
    {"c128_28x28_3x3_b8", 8, {128, 28, 28}, 128, {3, 1, 1}},
    {"c256_14x14_3x3_b8", 8, {256, 14, 14}, 256, {3, 1, 1}},
    {"c512_7x7_3x3_b4", 4, {512, 7, 7}, 512, {3, 1, 1}},
    {"c256to64_28x28_1x1_b8", 8, {256, 28, 28}, 64, {1}},
};

/// A layer's operands, random in [-1, 1], and the outputs of both paths.
struct Operands {
    explicit Operands(const Layer& layer)
        : g{layer.input, fedpp::conv2d_output_shape(layer.input, layer.out_channels, layer.window), layer.window},
          x(Matrix::Random(layer.batch, g.input.size())), w(Matrix::Random(g.output.channels, g.patch_size())),
          b(Matrix::Random(1, g.output.channels)), grad(Matrix::Random(layer.batch, g.output.size())) {}
    WindowGeometry g;
    Matrix x;
    Matrix w;
    Matrix b;
    Matrix grad;
};

enum class Computation { forward, weight_gradient, input_gradient };

/// The computation by the direct kernel, into `out`.
void direct(const Operands& o, Computation c, Matrix& out) {
    switch (c) {
    case Computation::forward:
        out.resize(o.x.rows(), o.g.output.size());
        fedpp::detail::direct_conv2d(o.g, o.x, o.w, o.b, out);
        break;
    case Computation::weight_gradient: fedpp::detail::direct_conv2d_weight_gradient(o.g, o.x, o.grad, out); break;
    case Computation::input_gradient:
        out.resize(o.x.rows(), o.x.cols());
        fedpp::detail::direct_conv2d_input_gradient(o.g, o.grad, o.w, out);
        break;
    }
}

/// The same computation by unfolding each image and a matrix product, as
/// conv2d's general path does.
void unfolded(const Operands& o, Computation c, Matrix& out) {
    fedpp::detail::Unfolder<float> unfolder(o.g);
    auto columns = unfolder.columns();
    const Index positions = o.g.positions();
    const Index out_columns = c == Computation::forward ? o.g.output.size() : o.x.cols();
    out = c == Computation::weight_gradient ? Matrix::Zero(o.w.rows(), o.w.cols()) : Matrix(o.x.rows(), out_columns);
    for (Index n = 0; n < o.x.rows(); ++n) {
        const Eigen::Map<const Matrix> grad(o.grad.data() + n * o.grad.cols(), o.g.output.channels, positions);
        if (c == Computation::forward) {
            unfolder.unfold(o.x.data() + n * o.x.cols());
            Eigen::Map<Matrix> y(out.data() + n * out.cols(), o.g.output.channels, positions);
            y.colwise() = o.b.row(0).transpose();
            fedpp::detail::multiply_into(y, o.w, columns, true);
        } else if (c == Computation::weight_gradient) {
            unfolder.unfold(o.x.data() + n * o.x.cols());
            fedpp::detail::multiply_into(out, grad, columns.transpose(), true);
        } else {
            fedpp::detail::multiply_into(columns, o.w.transpose(), grad, false);
            unfolder.fold(out.data() + n * out.cols());
        }
    }
}

bool rule(const WindowGeometry& g, Computation c) {
    switch (c) {
    case Computation::forward: return fedpp::detail::direct_convolution_applies<float>(g);
    case Computation::weight_gradient: return fedpp::detail::direct_weight_gradient_applies<float>(g);
    case Computation::input_gradient: return fedpp::detail::direct_input_gradient_applies<float>(g);
    }
    return false;
}

void run(benchmark::State& state, const Layer& layer, Computation c, bool direct_path) {
    const Operands o(layer);
    Matrix a;
    Matrix b;
    direct(o, c, a);
    unfolded(o, c, b);
    const double scale = std::max(1.0f, b.cwiseAbs().maxCoeff());
    const double difference = (a - b).cwiseAbs().maxCoeff() / scale;
    if (!(difference <= 1e-4)) {
        state.SkipWithError("the direct and unfolded paths disagree");
        return;
    }
    Matrix out;
    for (auto _ : state) {
        direct_path ? direct(o, c, out) : unfolded(o, c, out);
        benchmark::DoNotOptimize(out.data());
    }
    const double multiply_adds = static_cast<double>(layer.batch) * static_cast<double>(o.g.positions()) *
                                 static_cast<double>(o.g.patch_size()) * static_cast<double>(o.g.output.channels);
    state.counters["FLOPS"] = benchmark::Counter(2 * multiply_adds, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["direct_rule"] = rule(o.g, c) ? 1 : 0;
    state.counters["relative_difference"] = difference;
}

} // namespace

int main(int argc, char** argv) {
    const std::pair<Computation, const char*> computations[] = {
        {Computation::forward, "forward"},
        {Computation::weight_gradient, "weight_gradient"},
        {Computation::input_gradient, "input_gradient"}};
    for (const Layer& layer : layers) {
        for (const auto& [computation, name] : computations) {
            // The direct kernel needs whole packets of the channels it
            // writes (the input's, for the input gradient) and, for the
            // input gradient, a padding below the kernel.
            constexpr Index packet = fedpp::detail::simd_packet_size<float>;
            const bool input = computation == Computation::input_gradient;
            const Index columns = input ? layer.input.channels : layer.out_channels;
            const bool runs = columns % packet == 0 &&
                              (!input || (layer.window.padding.height < layer.window.kernel.height &&
                                          layer.window.padding.width < layer.window.kernel.width));
            if (!runs) {
                continue;
            }
            for (const bool direct_path : {true, false}) {
                const std::string label = std::string("conv_layer/") + layer.name + "/" + name +
                                          (direct_path ? "/direct" : "/unfolded");
                benchmark::RegisterBenchmark(label.c_str(), [&layer, computation, direct_path](benchmark::State& s) {
                    run(s, layer, computation, direct_path);
                })->Unit(benchmark::kMillisecond)->UseRealTime();
            }
        }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
