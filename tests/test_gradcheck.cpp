// Every differentiable operation, checked against finite differences in
// double precision.
#include "gradcheck.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using fedpp::Tensor;
using gradcheck::check;
using gradcheck::random_matrix;
using Inputs = std::vector<Tensor<double>>;

TEST_CASE("gradcheck: matmul", "[autograd][gradcheck]") {
    check("matmul", [](const Inputs& x) { return fedpp::matmul(x[0], x[1]); },
          {random_matrix(3, 4, 1), random_matrix(4, 2, 2)});
    check("Tensor::matmul", [](const Inputs& x) { return x[0].matmul(x[1]); },
          {random_matrix(1, 5, 3), random_matrix(5, 1, 4)});
}

TEST_CASE("gradcheck: linear (x W^T + b)", "[autograd][gradcheck]") {
    check("linear", [](const Inputs& x) { return fedpp::linear(x[0], x[1], x[2]); },
          {random_matrix(5, 3, 5), random_matrix(4, 3, 6), random_matrix(1, 4, 7)});
}

TEST_CASE("gradcheck: add, sub, mul with every broadcast pattern", "[autograd][gradcheck]") {
    struct Shape {
        fedpp::Index rows, cols;
    };
    const std::vector<std::pair<Shape, Shape>> patterns{
        {{3, 4}, {3, 4}}, // same shape
        {{3, 4}, {1, 4}}, // row vector (a bias) over a batch
        {{1, 4}, {3, 4}}, // the same, on the left
        {{3, 4}, {3, 1}}, // column vector
        {{3, 1}, {3, 4}},
        {{3, 4}, {1, 1}}, // scalar
        {{1, 1}, {3, 4}},
        {{3, 1}, {1, 4}}, // outer broadcast
    };
    std::uint64_t seed = 10;
    for (const auto& [a, b] : patterns) {
        const auto lhs = random_matrix(a.rows, a.cols, seed++);
        const auto rhs = random_matrix(b.rows, b.cols, seed++);
        check("add", [](const Inputs& x) { return x[0] + x[1]; }, {lhs, rhs});
        check("sub", [](const Inputs& x) { return x[0] - x[1]; }, {lhs, rhs});
        check("mul", [](const Inputs& x) { return x[0] * x[1]; }, {lhs, rhs});
    }
}

TEST_CASE("gradcheck: scalar scale and shift", "[autograd][gradcheck]") {
    const auto m = random_matrix(3, 2, 30);
    check("scale", [](const Inputs& x) { return x[0] * 2.5; }, {m});
    check("scale left", [](const Inputs& x) { return -0.5 * x[0]; }, {m});
    check("divide", [](const Inputs& x) { return x[0] / 4.0; }, {m});
    check("negate", [](const Inputs& x) { return -x[0]; }, {m});
    check("add_scalar", [](const Inputs& x) { return x[0] + 3.0; }, {m});
    check("sub_scalar", [](const Inputs& x) { return x[0] - 3.0; }, {m});
}

TEST_CASE("gradcheck: square and pow", "[autograd][gradcheck]") {
    check("square", [](const Inputs& x) { return fedpp::square(x[0]); }, {random_matrix(3, 3, 40)});
    check("pow(2)", [](const Inputs& x) { return x[0].pow(2); }, {random_matrix(3, 3, 41)});
    check("pow(3)", [](const Inputs& x) { return x[0].pow(3); }, {random_matrix(3, 3, 42)});
    check("pow(0.5)", [](const Inputs& x) { return x[0].pow(0.5); }, {random_matrix(3, 3, 43, 0.5, 2.0)});
    check("pow(-1.5)", [](const Inputs& x) { return x[0].pow(-1.5); }, {random_matrix(3, 3, 44, 0.5, 2.0)});
}

TEST_CASE("gradcheck: sum and mean", "[autograd][gradcheck]") {
    check("sum", [](const Inputs& x) { return x[0].sum(); }, {random_matrix(4, 3, 50)});
    check("mean", [](const Inputs& x) { return x[0].mean(); }, {random_matrix(4, 3, 51)});
}

TEST_CASE("gradcheck: relu, sigmoid, tanh", "[autograd][gradcheck]") {
    // relu is not differentiable at 0; keep every entry well away from it.
    auto away_from_zero = random_matrix(4, 5, 60);
    for (fedpp::Index i = 0; i < away_from_zero.size(); ++i) {
        double& v = away_from_zero.data()[i];
        v = v < 0 ? v - 0.1 : v + 0.1;
    }
    check("relu", [](const Inputs& x) { return x[0].relu(); }, {away_from_zero});
    check("sigmoid", [](const Inputs& x) { return x[0].sigmoid(); }, {random_matrix(4, 5, 61, -4, 4)});
    check("tanh", [](const Inputs& x) { return x[0].tanh(); }, {random_matrix(4, 5, 62, -3, 3)});
}

TEST_CASE("gradcheck: log_softmax", "[autograd][gradcheck]") {
    check("log_softmax", [](const Inputs& x) { return x[0].log_softmax(); }, {random_matrix(4, 6, 70, -3, 3)});
    // Large logits: the row maximum is subtracted, so nothing overflows.
    check("log_softmax large", [](const Inputs& x) { return x[0].log_softmax(); },
          {random_matrix(2, 3, 71, 500, 503)});
}

TEST_CASE("gradcheck: slice_rows", "[autograd][gradcheck]") {
    check("slice_rows", [](const Inputs& x) { return x[0].slice_rows(1, 3); }, {random_matrix(4, 2, 80)});
    check("two slices of one tensor",
          [](const Inputs& x) { return x[0].slice_rows(0, 2) * x[0].slice_rows(2, 4); }, {random_matrix(4, 2, 81)});
}

TEST_CASE("gradcheck: losses", "[autograd][gradcheck]") {
    const std::vector<std::int32_t> labels{2, 0, 1, 2};
    check("mse_loss sum",
          [](const Inputs& x) { return fedpp::nn::mse_loss(x[0], x[1], fedpp::nn::Reduction::sum); },
          {random_matrix(4, 3, 90), random_matrix(4, 3, 91)});
    check("mse_loss mean",
          [](const Inputs& x) { return fedpp::nn::mse_loss(x[0], x[1], fedpp::nn::Reduction::mean); },
          {random_matrix(4, 3, 92), random_matrix(4, 3, 93)});
    check("cross_entropy", [&](const Inputs& x) { return fedpp::nn::cross_entropy(x[0], labels); },
          {random_matrix(4, 3, 94, -2, 2)});
    check("nll_loss", [&](const Inputs& x) { return fedpp::nn::nll_loss(x[0].log_softmax(), labels); },
          {random_matrix(4, 3, 95, -2, 2)});
}

TEST_CASE("gradcheck: composite graphs reuse inputs and accumulate", "[autograd][gradcheck]") {
    // x is used three times; its gradient is the sum over the uses.
    check("mlp",
          [](const Inputs& x) {
              auto hidden = fedpp::linear(x[0], x[1], x[2]).tanh();
              return fedpp::linear(hidden, x[3], x[4]).sigmoid() * x[0].slice_rows(0, 3).sum();
          },
          {random_matrix(3, 4, 100), random_matrix(5, 4, 101), random_matrix(1, 5, 102), random_matrix(2, 5, 103),
           random_matrix(1, 2, 104)});
    check("diamond", [](const Inputs& x) { return (x[0] * x[0] + x[0].relu() * 3.0 - x[0].pow(3)).mean(); },
          {random_matrix(2, 2, 105, 0.2, 1.0)});
}

namespace {
/// conv2d of x (N x C*H*W) with a random O x C*kh*kw weight and 1 x O bias.
struct ConvCase {
    fedpp::Index batch;
    fedpp::ImageShape image;
    fedpp::Index out_channels;
    fedpp::Window2d window;
};
} // namespace

TEST_CASE("gradcheck: conv2d with strides, padding, odd and non-square sizes", "[autograd][gradcheck][conv]") {
    const std::vector<ConvCase> cases{
        {2, {1, 5, 5}, 2, {3}},                     // plain: 3x3, stride 1, no padding
        {3, {2, 7, 5}, 3, {{3, 2}, {2, 1}, {1, 0}}}, // odd, non-square; rectangular kernel, stride and padding
        {1, {3, 6, 7}, 2, {5, 2, 2}},                // stride 2 with "same"-style padding, even/odd extents
        {2, {2, 4, 3}, 2, {1}},                     // 1x1 kernel
        {1, {1, 3, 3}, 2, {2, 1, 3}},               // padding beyond the kernel: whole rows in the border
        {2, {1, 9, 8}, 1, {{4, 3}, {3, 2}, {2, 1}}}, // a stride that leaves the last input rows unread
    };
    std::uint64_t seed = 200;
    for (const auto& c : cases) {
        const fedpp::Index patch = c.image.channels * c.window.kernel.height * c.window.kernel.width;
        INFO("image " << c.image.to_string() << ", kernel " << c.window.kernel.to_string() << ", stride "
                      << c.window.stride.to_string() << ", padding " << c.window.padding.to_string());
        check("conv2d",
              [&](const Inputs& x) { return fedpp::conv2d(x[0], c.image, x[1], x[2], c.window); },
              {random_matrix(c.batch, c.image.size(), seed), random_matrix(c.out_channels, patch, seed + 1),
               random_matrix(1, c.out_channels, seed + 2)});
        seed += 3;
    }
}

TEST_CASE("gradcheck: max_pool2d with strides, padding and odd sizes", "[autograd][gradcheck][conv]") {
    // Inputs are distinct and at least 1e-3 apart in every window (a random
    // permutation of a grid), so a step of 1e-6 never changes which value is
    // the largest: the function is smooth where it is checked.
    const auto distinct = [](fedpp::Index rows, fedpp::Index cols, std::uint64_t seed) {
        fedpp::Generator generator(seed);
        gradcheck::Matrix m(rows, cols);
        for (fedpp::Index i = 0; i < m.size(); ++i) {
            m.data()[i] = -1 + 2e-3 * static_cast<double>(i);
        }
        for (fedpp::Index i = m.size() - 1; i > 0; --i) {
            std::swap(m.data()[i], m.data()[generator.below(static_cast<std::uint64_t>(i) + 1)]);
        }
        return m;
    };
    const std::vector<std::pair<fedpp::ImageShape, fedpp::Window2d>> cases{
        {{2, 4, 6}, {2, 2, 0}},                  // the CNN's 2x2, stride 2
        {{1, 7, 5}, {3, 2, 1}},                  // overlapping windows, padding, odd sizes
        {{3, 5, 8}, {{2, 3}, {1, 2}, {1, 1}}},   // rectangular everything
        {{1, 5, 5}, {2, 2, 0}},                  // the last row and column are never read
    };
    std::uint64_t seed = 300;
    for (const auto& [image, window] : cases) {
        INFO("image " << image.to_string() << ", kernel " << window.kernel.to_string());
        check("max_pool2d", [&image = image, &window = window](const Inputs& x) {
                  return fedpp::max_pool2d(x[0], image, window); // (init-captures: clang 14 captures no binding)
              },
              {distinct(3, image.size(), seed++)});
    }
}

TEST_CASE("gradcheck: dropout, with the same mask at every evaluation", "[autograd][gradcheck]") {
    for (const double p : {0.2, 0.5, 0.9}) {
        check("dropout",
              [p](const Inputs& x) {
                  fedpp::Generator generator(17); // same seed, same mask
                  return fedpp::dropout(x[0], p, generator);
              },
              {random_matrix(4, 7, 400)});
    }
}

TEST_CASE("gradcheck: a small CNN end to end", "[autograd][gradcheck][conv]") {
    // conv -> relu -> pool -> linear -> cross_entropy, every parameter at once.
    const fedpp::ImageShape image{2, 6, 5};
    const fedpp::Window2d conv{3, 1, 1};
    const fedpp::ImageShape conv_out = fedpp::conv2d_output_shape(image, 3, conv);
    const fedpp::Window2d pool{2, 2, 0};
    const fedpp::ImageShape pooled = fedpp::max_pool2d_output_shape(conv_out, pool);
    const std::vector<std::int32_t> labels{1, 0, 3};
    check("cnn",
          [&](const Inputs& x) {
              auto h = fedpp::max_pool2d(fedpp::conv2d(x[0], image, x[1], x[2], conv).relu(), conv_out, pool);
              return fedpp::nn::cross_entropy(fedpp::linear(h, x[3], x[4]), labels);
          },
          {random_matrix(3, image.size(), 500), random_matrix(3, 18, 501), random_matrix(1, 3, 502),
           random_matrix(4, pooled.size(), 503), random_matrix(1, 4, 504)});
}
