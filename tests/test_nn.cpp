// nn::Linear, nn::Sequential, losses and optim::SGD, including a PyTorch
// float64 reference run (tests/reference/make_reference.py).
#include "reference/pytorch_reference.hpp"
#include "relative_error.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using fedpp::Tensor;
using Matrix = fedpp::Matrix<double>;

namespace {
template <std::size_t N>
Matrix matrix_from(const std::array<double, N>& values, fedpp::Index rows, fedpp::Index cols) {
    REQUIRE(static_cast<fedpp::Index>(N) == rows * cols);
    Matrix m(rows, cols);
    for (fedpp::Index i = 0; i < m.size(); ++i) {
        m.data()[i] = values[static_cast<std::size_t>(i)];
    }
    return m;
}

template <std::size_t N>
void check_close(const Matrix& actual, const std::array<double, N>& expected, double tolerance) {
    REQUIRE(static_cast<std::size_t>(actual.size()) == N);
    for (std::size_t i = 0; i < N; ++i) {
        INFO("element " << i << ": " << actual.data()[i] << " vs " << expected[i]);
        CHECK(relative_error(actual.data()[i], expected[i]) <= tolerance);
    }
}
} // namespace

TEST_CASE("Linear is initialised as PyTorch does, from a seed", "[nn]") {
    fedpp::Generator generator(42);
    const fedpp::nn::Linear<double> layer(16, 3, generator);
    CHECK(layer.in_features() == 16);
    CHECK(layer.out_features() == 3);
    CHECK(layer.weight().rows() == 3);
    CHECK(layer.bias().cols() == 3);
    const double bound = 1.0 / std::sqrt(16.0);
    CHECK(layer.weight().value().cwiseAbs().maxCoeff() <= bound);
    CHECK(layer.bias().value().cwiseAbs().maxCoeff() <= bound);
    CHECK(layer.weight().value().cwiseAbs().maxCoeff() > bound / 2); // really spread over the interval
    CHECK(layer.weight().requires_grad());

    fedpp::Generator same_seed(42);
    const fedpp::nn::Linear<double> twin(16, 3, same_seed);
    CHECK(twin.weight().value() == layer.weight().value());
    fedpp::Generator other_seed(43);
    const fedpp::nn::Linear<double> other(16, 3, other_seed);
    CHECK(other.weight().value() != layer.weight().value());

    CHECK_THROWS_AS(fedpp::nn::Linear<double>(0, 3, generator), fedpp::ShapeError);
}

TEST_CASE("Linear with explicit weights, parameters that share storage, and an independent copy", "[nn]") {
    fedpp::nn::Linear<double> layer(Matrix{{1, 2}}, Matrix{{0.5}});
    const Tensor<double> x{{1, 1}, {2, 0}};
    const auto y = layer(x);
    CHECK(y.value()(0, 0) == 3.5);
    CHECK(y.value()(1, 0) == 2.5);
    CHECK_THROWS_AS(fedpp::nn::Linear<double>(Matrix{{1, 2}}, Matrix{{1, 2}}), fedpp::ShapeError);

    auto params = layer.parameters();
    REQUIRE(params.size() == 2);
    params[0].value()(0, 0) = 10;
    CHECK(layer.weight().value()(0, 0) == 10);

    auto copy = layer.copy();
    copy.weight().value()(0, 0) = -1;
    CHECK(layer.weight().value()(0, 0) == 10);
    CHECK(copy.bias().value()(0, 0) == 0.5);

    fedpp::nn::Linear<double> target(Matrix{{0, 0}}, Matrix{{0}});
    const auto target_weight = target.weight();
    fedpp::nn::load_parameters(target, layer);
    CHECK(target_weight.value()(0, 0) == 10); // same tensor, new values
    fedpp::nn::Linear<double> wrong(Matrix{{0, 0, 0}}, Matrix{{0}});
    CHECK_THROWS_AS(fedpp::nn::load_parameters(wrong, layer), fedpp::ShapeError);
}

TEST_CASE("Linear from what a user has at hand: tensors, matrices, nested lists", "[nn]") {
    // Issue 9, item 14: "from explicit weights" took only Eigen matrices.
    const Tensor<double> x{{1, 1}, {2, 0}};
    Tensor<double> weight{{1, 2}, {3, -1}}; // 2 outputs x 2 inputs
    const Tensor<double> bias{{0.5, -0.5}};
    const fedpp::nn::Linear<double> from_tensors(weight, bias);
    const fedpp::nn::Linear<double> from_matrices(Matrix{{1, 2}, {3, -1}}, Matrix{{0.5, -0.5}});
    const fedpp::nn::Linear<double> from_lists({{1, 2}, {3, -1}}, {0.5, -0.5});
    const fedpp::nn::Linear<float> from_float_lists({{0.25f, -0.5f}}, {0.125f});
    for (const auto* layer : {&from_tensors, &from_matrices, &from_lists}) {
        CHECK(layer->in_features() == 2);
        CHECK(layer->out_features() == 2);
        CHECK(layer->weight().value() == Matrix{{1, 2}, {3, -1}});
        CHECK(layer->bias().value() == Matrix{{0.5, -0.5}});
        CHECK((*layer)(x).value() == Matrix{{3.5, 1.5}, {2.5, 5.5}});
        CHECK(layer->weight().requires_grad());
    }
    CHECK(from_float_lists.weight().value()(0, 1) == -0.5f);
    CHECK(from_float_lists.bias().value()(0, 0) == 0.125f);
    // The tensors' values are copied, not shared.
    CHECK_FALSE(from_tensors.weight().same_as(weight));
    weight.value()(0, 0) = 100;
    CHECK(from_tensors.weight().value()(0, 0) == 1);
    // The shapes are checked as for matrices.
    CHECK_THROWS_AS(fedpp::nn::Linear<double>({{1, 2}, {3}}, {0, 0}), fedpp::ShapeError);          // ragged
    CHECK_THROWS_WITH(fedpp::nn::Linear<double>({{1, 2}, {3, 4}}, {0}), Catch::Contains("1x2"));   // bias length
    CHECK_THROWS_AS(fedpp::nn::Linear<double>(Tensor<double>{{1, 2}}, Tensor<double>{{1}, {2}}), fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::nn::Linear<double>(Tensor<double>(), Tensor<double>()), fedpp::ShapeError);
}

TEST_CASE("Sequential chains layers and collects their parameters", "[nn]") {
    fedpp::Generator generator(1);
    fedpp::nn::Sequential model(fedpp::nn::Linear<double>(3, 4, generator), fedpp::nn::ReLU{},
                                fedpp::nn::Linear<double>(4, 2, generator), fedpp::nn::Sigmoid{});
    static_assert(std::is_same_v<decltype(model), fedpp::nn::Sequential<double>>);
    CHECK(model.size() == 4);
    CHECK(model.describe() == "Linear(3, 4) -> ReLU -> Linear(4, 2) -> Sigmoid");
    CHECK(model.parameters().size() == 4);
    CHECK(fedpp::nn::parameter_count(model) == 3 * 4 + 4 + 4 * 2 + 2);

    const Tensor<double> x{{1, -1, 0.5}, {0, 2, -3}};
    const auto& first = std::get<fedpp::nn::Linear<double>>(model[0]);
    const auto& second = std::get<fedpp::nn::Linear<double>>(model[2]);
    const auto manual = second(first(x).relu()).sigmoid();
    CHECK(model(x).value() == manual.value());

    auto copy = model.copy();
    std::get<fedpp::nn::Linear<double>>(copy[0]).weight().value().setZero();
    CHECK(first.weight().value().cwiseAbs().sum() > 0);
    model.push_back(fedpp::nn::Tanh{});
    CHECK(model.describe().ends_with("-> Tanh"));
}

TEST_CASE("losses: values and label checks", "[nn]") {
    const Tensor<double> pred{{1, 2}, {3, 4}};
    const Tensor<double> target{{1, 0}, {0, 4}};
    CHECK(fedpp::nn::mse_loss(pred, target, fedpp::nn::Reduction::sum).item() == 13);
    CHECK(fedpp::nn::mse_loss(pred, target).item() == 13.0 / 4);
    CHECK_THROWS_AS(fedpp::nn::mse_loss(pred, Tensor<double>{{1, 2}}), fedpp::ShapeError);

    const Tensor<double> logits{{0, 0}, {std::log(3.0), 0}};
    const std::vector<std::int32_t> labels{0, 0};
    // -(log(1/2) + log(3/4)) / 2
    CHECK(std::abs(fedpp::nn::cross_entropy(logits, labels).item() - (std::log(2.0) + std::log(4.0 / 3)) / 2) < 1e-15);
    CHECK(std::abs(fedpp::nn::nll_loss(logits.log_softmax(), labels).item() -
                   fedpp::nn::cross_entropy(logits, labels).item()) < 1e-15);
    const std::vector<std::int32_t> out_of_range{0, 2};
    CHECK_THROWS_WITH(fedpp::nn::cross_entropy(logits, out_of_range),
                      Catch::Contains("label 2 at position 1 is outside [0, 2)"));
    const std::vector<std::int32_t> too_few{0};
    CHECK_THROWS_AS(fedpp::nn::cross_entropy(logits, too_few), fedpp::ShapeError);
}

TEST_CASE("SGD: plain, momentum and weight decay as torch.optim.SGD", "[optim]") {
    Tensor<double> p({{1.0, -2.0}}, true);
    fedpp::optim::SGD<double> opt({p}, 0.1, 0.9, 0.01);
    auto grad_step = [&](double g) {
        opt.zero_grad();
        (p * g).sum().backward(); // gradient g everywhere
        opt.step();
    };
    // step 1: d = g + wd p; buf = d; p -= lr buf
    double value = 1.0;
    double buffer = 0.5 + 0.01 * value;
    value -= 0.1 * buffer;
    grad_step(0.5);
    CHECK(p.value()(0, 0) == value);
    // step 2: buf = momentum buf + d
    const double d = -0.25 + 0.01 * value;
    buffer = 0.9 * buffer + d;
    value -= 0.1 * buffer;
    grad_step(-0.25);
    CHECK(std::abs(p.value()(0, 0) - value) < 1e-15);

    Tensor<double> untouched({{3.0}}, true);
    fedpp::optim::SGD<double> plain({untouched}, 0.1);
    plain.step(); // no gradient yet: skipped, as in PyTorch
    CHECK(untouched.value()(0, 0) == 3.0);

    CHECK_THROWS_AS(fedpp::optim::SGD<double>({p}, -0.1), fedpp::ArgumentError);
    CHECK_THROWS_AS(fedpp::optim::SGD<double>({p}, 0.1, -1.0), fedpp::ArgumentError);
    CHECK_THROWS_AS(fedpp::optim::SGD<double>({p}, std::nan("")), fedpp::ArgumentError);
    CHECK_THROWS_AS(fedpp::optim::SGD<double>({p * 2.0}, 0.1), fedpp::ArgumentError); // not a leaf
    CHECK_THROWS_AS(fedpp::optim::SGD<double>({Tensor<double>{{1}}}, 0.1), fedpp::ArgumentError); // no gradient
}

TEST_CASE("an MLP trained with cross_entropy and SGD(momentum, weight decay) matches PyTorch float64",
          "[nn][reference]") {
    namespace ref = reference;
    fedpp::nn::Sequential<double> model(
        fedpp::nn::Linear<double>(matrix_from(ref::mlp_initial_0, 6, 4), matrix_from(ref::mlp_initial_1, 1, 6)),
        fedpp::nn::Tanh{},
        fedpp::nn::Linear<double>(matrix_from(ref::mlp_initial_2, 5, 6), matrix_from(ref::mlp_initial_3, 1, 5)),
        fedpp::nn::ReLU{},
        fedpp::nn::Linear<double>(matrix_from(ref::mlp_initial_4, 3, 5), matrix_from(ref::mlp_initial_5, 1, 3)));
    const Tensor<double> x(matrix_from(ref::mlp_x, 7, 4));
    const std::vector<std::int32_t> labels(ref::mlp_labels.begin(), ref::mlp_labels.end());
    fedpp::optim::SGD opt(model.parameters(), 0.05, 0.9, 0.01);
    for (std::size_t step = 0; step < ref::mlp_losses.size(); ++step) {
        opt.zero_grad();
        auto loss = fedpp::nn::cross_entropy(model(x), labels);
        loss.backward();
        opt.step();
        INFO("step " << step);
        CHECK(relative_error(loss.item(), ref::mlp_losses[step]) <= 1e-12);
    }
    const auto params = model.parameters();
    check_close(params[0].value(), ref::mlp_final_0, 1e-12);
    check_close(params[1].value(), ref::mlp_final_1, 1e-12);
    check_close(params[2].value(), ref::mlp_final_2, 1e-12);
    check_close(params[3].value(), ref::mlp_final_3, 1e-12);
    check_close(params[4].value(), ref::mlp_final_4, 1e-12);
    check_close(params[5].value(), ref::mlp_final_5, 1e-12);
}

TEST_CASE("sigmoid, log_softmax and mse_loss(mean): value and gradient match PyTorch float64", "[nn][reference]") {
    namespace ref = reference;
    Tensor<double> out(matrix_from(ref::head_input, 7, 3), true);
    const Tensor<double> y(matrix_from(ref::head_target, 7, 3));
    auto loss = fedpp::nn::mse_loss(out.sigmoid(), y) + out.log_softmax().mean();
    loss.backward();
    CHECK(relative_error(loss.item(), ref::head_loss[0]) <= 1e-12);
    check_close(out.grad(), ref::head_grad, 1e-10);
}
