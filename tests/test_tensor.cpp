// Tensor and autograd behaviour: values, shapes, errors, gradient
// accumulation, no-grad scopes, deep graphs, threads, memory.
#include "heap.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <thread>
#include <vector>

using fedpp::Tensor;

TEST_CASE("tensors are built from rows, with shapes checked", "[tensor]") {
    const Tensor<> t{{1, 2, 3}, {4, 5, 6}};
    CHECK(t.rows() == 2);
    CHECK(t.cols() == 3);
    CHECK(t.value()(1, 2) == 6.0f);
    CHECK(t.shape_string() == "2x3");
    CHECK_FALSE(t.requires_grad());
    CHECK(t.is_leaf());
    CHECK(t.op_name() == "leaf");
    CHECK_THROWS_AS((Tensor<>{{1, 2}, {3}}), fedpp::ShapeError);
    CHECK_THROWS_AS(Tensor<>::zeros(-1, 2), fedpp::ShapeError);
    CHECK(Tensor<double>::scalar(2.5).item() == 2.5);
    CHECK_THROWS_AS(t.item(), fedpp::ShapeError);
}

TEST_CASE("tensor handles share values, detach copies", "[tensor]") {
    Tensor<> a{{1, 2}};
    Tensor<> alias = a;
    alias.value()(0, 0) = 9;
    CHECK(a.value()(0, 0) == 9.0f);
    CHECK(alias.same_as(a));
    Tensor<> copy = a.detach();
    copy.value()(0, 0) = 1;
    CHECK(a.value()(0, 0) == 9.0f);
    CHECK_FALSE(copy.same_as(a));
}

TEST_CASE("a tensor or layer moved from is refused with a fedpp error, not dereferenced", "[tensor]") {
    // NOLINTBEGIN(bugprone-use-after-move): the point of the test
    Tensor<> t{{1, 2}};
    const Tensor<> moved = std::move(t);
    CHECK(moved.rows() == 1); // the twin: the tensor moved to
    CHECK_THROWS_WITH(t.rows(), Catch::Contains("this tensor was moved from"));
    CHECK_THROWS_AS(t.value(), fedpp::ArgumentError);
    CHECK_THROWS_AS(t + moved, fedpp::ArgumentError);
    t = Tensor<>{{3}}; // assigned again: usable
    CHECK(t.item() == 3);
    fedpp::Generator generator(1);
    fedpp::nn::Linear<float> layer(2, 1, generator);
    const fedpp::nn::Linear<float> taken = std::move(layer);
    CHECK(taken(moved).rows() == 1);
    CHECK_THROWS_AS(layer(moved), fedpp::ArgumentError);
    CHECK_THROWS_AS(layer.describe(), fedpp::ArgumentError);
    // NOLINTEND(bugprone-use-after-move)
}

TEST_CASE("operations check shapes and say which", "[tensor]") {
    const Tensor<> a = Tensor<>::ones(2, 3);
    const Tensor<> b = Tensor<>::ones(2, 2);
    CHECK_THROWS_WITH(fedpp::matmul(a, b), Catch::Contains("matmul: inner sizes differ: 2x3 @ 2x2"));
    CHECK_THROWS_WITH(a + b, Catch::Contains("do not broadcast"));
    CHECK_THROWS_AS(a.slice_rows(1, 3), fedpp::ShapeError);
    CHECK_THROWS_AS(a.slice_rows(2, 1), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::linear(a, Tensor<>::ones(4, 2), Tensor<>::ones(1, 4)), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::linear(a, Tensor<>::ones(4, 3), Tensor<>::ones(1, 3)), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::mean(Tensor<>()), fedpp::ShapeError);
}

TEST_CASE("forward values are right", "[tensor]") {
    const Tensor<double> x{{1, -2}, {3, 4}};
    CHECK(x.sum().item() == 6);
    CHECK(x.mean().item() == 1.5);
    CHECK(x.relu().value()(0, 1) == 0);
    CHECK(x.pow(2).value()(0, 1) == 4);
    CHECK(x.pow(3).value()(0, 1) == -8);
    CHECK((x * 2.0).value()(1, 1) == 8);
    CHECK((x - 1.0).value()(0, 0) == 0);
    CHECK(std::abs(x.sigmoid().value()(0, 0) - 1 / (1 + std::exp(-1.0))) < 1e-15);
    CHECK(std::abs(x.tanh().value()(1, 0) - std::tanh(3.0)) < 1e-15);
    const Eigen::ArrayXd softmax_row_sum = x.log_softmax().value().array().exp().rowwise().sum();
    CHECK(std::abs(softmax_row_sum(0) - 1) < 1e-15);
    CHECK(std::abs(softmax_row_sum(1) - 1) < 1e-15);
    const Tensor<double> bias{{10, 20}};
    CHECK((x + bias).value()(1, 1) == 24);
    CHECK(fedpp::matmul(x, Tensor<double>{{1}, {1}}).value()(1, 0) == 7);
}

TEST_CASE("backward: errors for misuse", "[autograd]") {
    Tensor<> leaf{{1, 2}};
    CHECK_THROWS_AS(leaf.sum().backward(), fedpp::AutogradError); // nothing requires a gradient
    leaf.set_requires_grad();
    CHECK_THROWS_WITH((leaf * 2.0f).backward(), Catch::Contains("only a 1x1 result"));
    CHECK_THROWS_AS(leaf.grad(), fedpp::AutogradError);
    const auto y = leaf * 2.0f;
    CHECK_THROWS_AS(y.backward(Tensor<>::ones(2, 2).value()), fedpp::ShapeError);
    CHECK_THROWS_AS(Tensor<>(y).set_requires_grad(false), fedpp::AutogradError);
    y.backward(Tensor<>::ones(1, 2).value());
    CHECK(leaf.grad()(0, 1) == 2.0f);
}

TEST_CASE("gradients accumulate until zero_grad, and intermediates are freed", "[autograd]") {
    Tensor<double> w({{1, 2}}, true);
    const auto y = (w * w).sum();
    y.backward();
    CHECK(w.grad()(0, 0) == 2);
    y.backward(); // the graph is kept, like retain_graph=True
    CHECK(w.grad()(0, 1) == 8);
    w.zero_grad();
    CHECK(w.grad()(0, 1) == 0);
    const auto z = (w * 3.0).sum();
    z.backward();
    CHECK(w.grad()(0, 1) == 3);
    const auto hidden = w * 3.0;
    hidden.sum().backward();
    CHECK_FALSE(hidden.has_grad()); // non-leaf gradients are not retained
}

TEST_CASE("a NoGradGuard records nothing, nests, and is per thread", "[autograd]") {
    Tensor<> w({{1, 2}}, true);
    {
        const fedpp::NoGradGuard outer;
        CHECK_FALSE(fedpp::is_grad_enabled());
        {
            const fedpp::NoGradGuard inner;
            CHECK_FALSE((w * 2.0f).requires_grad());
        }
        CHECK_FALSE(fedpp::is_grad_enabled());
        const auto y = (w * 2.0f).sum();
        CHECK_FALSE(y.requires_grad());
        CHECK(y.is_leaf());
        bool other_thread_records = false;
        std::thread([&] { other_thread_records = (w * 2.0f).requires_grad(); }).join();
        CHECK(other_thread_records);
    }
    CHECK(fedpp::is_grad_enabled());
    CHECK((w * 2.0f).requires_grad());
}

TEST_CASE("only inputs that require a gradient get one", "[autograd]") {
    const Tensor<double> data{{1, 2}, {3, 4}};
    Tensor<double> w({{1}, {1}}, true);
    fedpp::matmul(data, w).sum().backward();
    CHECK(w.grad()(0, 0) == 4);
    CHECK_FALSE(data.has_grad());
}

TEST_CASE("backward and destruction of a very deep graph do not recurse", "[autograd]") {
    // 200,000 chained operations: a recursive backward or a recursive chain
    // of destructors would overflow the stack.
    Tensor<double> x({{1.0}}, true);
    Tensor<double> y = x;
    for (int i = 0; i < 200000; ++i) {
        y = y * 1.0 + 0.0;
    }
    y.backward();
    CHECK(x.grad()(0, 0) == 1.0);
    y = Tensor<double>(); // frees the 400,000 nodes
    CHECK(x.grad()(0, 0) == 1.0);
}

namespace {
/// Trains a small model with its own graph; returns the final loss.
double train_alone(std::uint64_t seed, int steps) {
    fedpp::Generator generator(seed);
    fedpp::nn::Sequential<double> model(fedpp::nn::Linear<double>(4, 8, generator), fedpp::nn::Tanh{},
                                        fedpp::nn::Linear<double>(8, 1, generator));
    fedpp::optim::SGD opt(model.parameters(), 0.05);
    const Tensor<double> x(Tensor<double>::ones(16, 4).value() * 0.5);
    const Tensor<double> y = Tensor<double>::ones(16, 1);
    double last = 0;
    for (int i = 0; i < steps; ++i) {
        opt.zero_grad();
        auto loss = fedpp::nn::mse_loss(model(x), y);
        loss.backward();
        opt.step();
        last = loss.item();
    }
    return last;
}
} // namespace

TEST_CASE("training loops in different threads each own their graph", "[autograd][threads]") {
    const double expected = train_alone(5, 300);
    std::vector<double> results(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i) {
        threads.emplace_back([&results, i] { results[i] = train_alone(5, 300); });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (double r : results) {
        CHECK(r == expected); // bitwise: nothing shared between the loops
    }
}

TEST_CASE("memory does not grow from training step to training step", "[autograd][memory]") {
    fedpp::Generator generator(3);
    fedpp::nn::Sequential<float> model(fedpp::nn::Linear<float>(64, 64, generator), fedpp::nn::ReLU{},
                                       fedpp::nn::Linear<float>(64, 10, generator));
    fedpp::optim::SGD opt(model.parameters(), 0.1f, 0.9f);
    const Tensor<float> x(Tensor<float>::ones(10, 64).value() * 0.1f);
    const std::vector<std::int32_t> labels{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    auto step = [&] {
        opt.zero_grad();
        auto loss = fedpp::nn::cross_entropy(model(x), labels);
        loss.backward();
        opt.step();
    };
    for (int i = 0; i < 20; ++i) {
        step(); // warm-up: gradient and momentum buffers are allocated once
    }
    const std::size_t before = heap_bytes_in_use();
    for (int i = 0; i < 5000; ++i) {
        step();
    }
    const std::size_t after = heap_bytes_in_use();
    INFO("heap before " << before << " bytes, after " << after);
    CHECK(after <= before + 4096);
}

TEST_CASE("broadcasting against an empty extent gives an empty result and empty-sum gradients", "[tensor][autograd]") {
    // Issue 9, item 2: ones(0, 3) + ones(1, 3) divided by zero in the
    // broadcast (SIGFPE at -O0, a UBSan report at -O2).
    struct Case {
        fedpp::Index a_rows, a_cols, b_rows, b_cols, rows, cols;
    };
    const std::vector<Case> cases{
        {0, 3, 1, 3, 0, 3}, {1, 3, 0, 3, 0, 3}, {3, 0, 3, 1, 3, 0}, {3, 1, 3, 0, 3, 0},
        {0, 0, 1, 1, 0, 0}, {1, 1, 0, 0, 0, 0}, {0, 1, 1, 4, 0, 4}, {1, 4, 0, 1, 0, 4},
        {0, 3, 0, 3, 0, 3}, {0, 3, 0, 1, 0, 3},
    };
    for (const auto& c : cases) {
        INFO(c.a_rows << "x" << c.a_cols << " with " << c.b_rows << "x" << c.b_cols);
        for (int op = 0; op < 3; ++op) {
            const Tensor<float> a = Tensor<float>::ones(c.a_rows, c.a_cols, true);
            const Tensor<float> b = Tensor<float>::ones(c.b_rows, c.b_cols, true);
            const Tensor<float> out = op == 0 ? a + b : op == 1 ? a - b : a * b;
            CHECK(out.rows() == c.rows);
            CHECK(out.cols() == c.cols);
            out.sum().backward();
            // Nothing flowed through an empty result: every gradient is zero,
            // in its operand's shape.
            for (const auto& input : {a, b}) {
                REQUIRE(input.has_grad());
                CHECK(input.grad().rows() == input.rows());
                CHECK(input.grad().cols() == input.cols());
                CHECK(input.grad().isZero());
            }
        }
    }
    // Extents that neither match nor are 1 still do not broadcast.
    CHECK_THROWS_AS(Tensor<float>::ones(0, 3) + Tensor<float>::ones(2, 3), fedpp::ShapeError);
}
