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
