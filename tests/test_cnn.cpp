// Convolutional models: nn::Conv2d, nn::MaxPool2d, nn::Flatten, nn::Dropout
// in nn::Sequential; the FedAvg paper's MNIST CNN against PyTorch float64
// (tests/reference/make_cnn_reference.py); codecs, checkpoints, fedavg,
// local training and the federated driver on them; image-shaped data sets.
#include "parties.hpp"
#include "reference/cnn_reference.hpp"
#include "relative_error.hpp"

#include <fedpp/federated.hpp>
#include <fedpp/loaders.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using fedpp::ImageShape;
using fedpp::Index;
using fedpp::Tensor;
using Catch::Contains;
namespace nn = fedpp::nn;

namespace {

/// The values make_cnn_reference.py computes: scale * (2u - 1), u the top 24
/// bits of mix64(stream << 32 | i) / 2^24, exact in double.
fedpp::Matrix<double> exact_values(Index rows, Index cols, std::uint64_t stream, double scale) {
    fedpp::Matrix<double> m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) {
        const std::uint64_t bits = fedpp::detail::mix64((stream << 32) | static_cast<std::uint64_t>(i)) >> 40;
        m.data()[i] = scale * (2.0 * static_cast<double>(bits) / 16777216.0 - 1.0);
    }
    return m;
}

template <std::size_t N>
void check_all(const fedpp::Matrix<double>& actual, const std::array<double, N>& expected, double tolerance) {
    REQUIRE(static_cast<std::size_t>(actual.size()) == N);
    for (std::size_t i = 0; i < N; ++i) {
        INFO("element " << i << ": " << actual.data()[i] << " vs " << expected[i]);
        CHECK(relative_error(actual.data()[i], expected[i]) <= tolerance);
    }
}

/// A large gradient as the reference stores it: entries at hashed positions,
/// and dot products with hashed vectors (summed with Neumaier's compensated
/// sum, as math.fsum's exact sum is matched to far below the tolerance).
template <std::size_t S, std::size_t P>
void check_sampled(const fedpp::Matrix<double>& grad, std::uint64_t index, const std::array<double, S>& samples,
                   const std::array<double, P>& projections, double tolerance) {
    const auto n = static_cast<std::uint64_t>(grad.size());
    for (std::size_t k = 0; k < S; ++k) {
        const auto at = fedpp::detail::mix64(((100 + index) << 32) | k) % n;
        INFO("sample " << k << " at " << at);
        CHECK(relative_error(grad.data()[at], samples[k]) <= tolerance);
    }
    for (std::size_t j = 0; j < P; ++j) {
        const auto weights = exact_values(1, grad.size(), 200 + 10 * index + j, 1.0);
        double sum = 0;
        double compensation = 0;
        for (Index i = 0; i < grad.size(); ++i) {
            const double term = grad.data()[i] * weights.data()[i];
            const double t = sum + term;
            compensation += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
            sum = t;
        }
        INFO("projection " << j);
        CHECK(relative_error(sum + compensation, projections[j]) <= tolerance);
    }
}

/// The FedAvg paper's MNIST CNN (1,663,370 parameters), from explicit values.
nn::Sequential<double> paper_cnn_from_reference() {
    const ImageShape mnist{1, 28, 28};
    nn::Conv2d<double> conv1(mnist, 5, {.padding = 2}, exact_values(32, 25, 1, 0x1p-2), exact_values(1, 32, 2, 0x1p-2));
    nn::MaxPool2d pool1(conv1.output_shape(), 2);
    nn::Conv2d<double> conv2(pool1.output_shape(), 5, {.padding = 2}, exact_values(64, 800, 3, 0x1p-5),
                             exact_values(1, 64, 4, 0x1p-5));
    nn::MaxPool2d pool2(conv2.output_shape(), 2);
    return nn::Sequential<double>(std::move(conv1), nn::ReLU{}, pool1, std::move(conv2), nn::ReLU{}, pool2,
                                  nn::Flatten{},
                                  nn::Linear<double>(exact_values(512, 3136, 5, 0x1p-6), exact_values(1, 512, 6, 0x1p-6)),
                                  nn::ReLU{},
                                  nn::Linear<double>(exact_values(10, 512, 7, 0x1p-5), exact_values(1, 10, 8, 0x1p-5)));
}

/// The paper's CNN, initialised as PyTorch would from `generator`.
template <class T>
nn::Sequential<T> paper_cnn(fedpp::Generator& generator) {
    nn::Conv2d<T> conv1(ImageShape{1, 28, 28}, 32, 5, generator, {.padding = 2});
    nn::MaxPool2d pool1(conv1.output_shape(), 2);
    nn::Conv2d<T> conv2(pool1.output_shape(), 64, 5, generator, {.padding = 2});
    nn::MaxPool2d pool2(conv2.output_shape(), 2);
    nn::Linear<T> fc1(pool2.output_shape().size(), 512, generator); // named: the draws are in layer order
    nn::Linear<T> fc2(512, 10, generator);
    return nn::Sequential<T>(std::move(conv1), nn::ReLU{}, pool1, std::move(conv2), nn::ReLU{}, pool2, nn::Flatten{},
                             std::move(fc1), nn::ReLU{}, std::move(fc2));
}

/// A small CNN for 8x8 digits with every layer kind: conv, pool, flatten,
/// dropout, linear.
nn::Sequential<float> digits_cnn(std::uint64_t seed, double dropout = 0.25) {
    fedpp::Generator generator(seed);
    nn::Conv2d<float> conv(ImageShape{1, 8, 8}, 6, 3, generator, {.padding = 1});
    nn::MaxPool2d pool(conv.output_shape(), 2);
    const Index flat = pool.output_shape().size();
    return nn::Sequential<float>(std::move(conv), nn::ReLU{}, pool, nn::Flatten{}, nn::Dropout(dropout),
                                 nn::Linear<float>(flat, 10, generator));
}

fedpp::data::Dataset<float> digits() {
    static const auto set = fedpp::data::load_digits(std::filesystem::path(FEDPP_DATA_DIR) / "digits/digits.csv.gz");
    return set;
}

} // namespace

TEST_CASE("one SGD step of the FedAvg paper's CNN matches PyTorch float64: logits, loss, every gradient",
          "[nn][conv][reference]") {
    namespace ref = cnn_reference;
    constexpr double tolerance = 1e-10;
    auto model = paper_cnn_from_reference();
    REQUIRE(nn::parameter_count(model) == 1663370);
    fedpp::Matrix<double> images = exact_values(4, 784, 9, 0.5);
    images.array() += 0.5; // pixels in [0, 1), as the script's
    const Tensor<double> x(images);
    const std::vector<std::int32_t> labels{3, 1, 4, 1};
    fedpp::optim::SGD<double> optimiser(model.parameters(), 0.1);
    optimiser.zero_grad();
    const auto logits = model(x);
    auto loss = nn::cross_entropy(logits, labels);
    loss.backward();
    check_all(logits.value(), ref::logits, tolerance);
    CHECK(relative_error(loss.item(), ref::loss[0]) <= tolerance);

    const auto p = model.parameters();
    REQUIRE(p.size() == 8);
    check_all(p[0].grad(), ref::grad_conv1_weight, tolerance);
    check_all(p[1].grad(), ref::grad_conv1_bias, tolerance);
    check_sampled(p[2].grad(), 2, ref::grad_conv2_weight_samples, ref::grad_conv2_weight_projections, tolerance);
    check_all(p[3].grad(), ref::grad_conv2_bias, tolerance);
    check_sampled(p[4].grad(), 4, ref::grad_fc1_weight_samples, ref::grad_fc1_weight_projections, tolerance);
    check_all(p[5].grad(), ref::grad_fc1_bias, tolerance);
    check_all(p[6].grad(), ref::grad_fc2_weight, tolerance);
    check_all(p[7].grad(), ref::grad_fc2_bias, tolerance);

    optimiser.step();
    const fedpp::NoGradGuard values_only;
    const auto after = model(x);
    check_all(after.value(), ref::logits_after_step, tolerance);
    CHECK(relative_error(nn::cross_entropy(after, labels).item(), ref::loss_after_step[0]) <= tolerance);
}

TEST_CASE("nn::Conv2d is initialised as PyTorch's from a seed, and says what shape it expects", "[nn][conv]") {
    fedpp::Generator generator(3);
    const nn::Conv2d<float> conv(ImageShape{3, 10, 9}, 4, {3, 2}, generator, {.stride = 2, .padding = 1});
    CHECK(conv.input_shape() == ImageShape{3, 10, 9});
    CHECK(conv.output_shape() == ImageShape{4, 5, 5}); // (10 + 2 - 3) / 2 + 1, (9 + 2 - 2) / 2 + 1
    CHECK(conv.in_channels() == 3);
    CHECK(conv.out_channels() == 4);
    REQUIRE(conv.weight().rows() == 4);
    REQUIRE(conv.weight().cols() == 18); // 3 channels x 3 x 2
    REQUIRE(conv.bias().cols() == 4);
    CHECK(conv.weight().requires_grad());
    fedpp::Generator replay(3); // U(+-1/sqrt(fan_in)): the weight row by row, then the bias
    const double bound = 1 / std::sqrt(18.0);
    for (Index i = 0; i < 72; ++i) {
        CHECK(conv.weight().value().data()[i] == static_cast<float>(replay.uniform(-bound, bound)));
    }
    for (Index i = 0; i < 4; ++i) {
        CHECK(conv.bias().value()(0, i) == static_cast<float>(replay.uniform(-bound, bound)));
    }
    CHECK(generator == replay);
    CHECK(conv.describe() == "Conv2d(3, 4, kernel 3x2, stride 2x2, padding 1x1) 3x10x9 -> 4x5x5");

    const auto twin = conv.copy();
    CHECK(twin.weight().value() == conv.weight().value());
    CHECK_FALSE(twin.weight().same_as(conv.weight()));
    CHECK(twin.describe() == conv.describe());
    auto shared = conv.parameters();
    shared[1].value()(0, 0) = 7; // parameters() share the layer's storage
    CHECK(conv.bias().value()(0, 0) == 7);
    CHECK(twin.bias().value()(0, 0) != 7);

    CHECK(conv(Tensor<float>::zeros(2, 270)).cols() == 100);
    CHECK_THROWS_WITH(conv(Tensor<float>::zeros(2, 269)), Contains("images of 3x10x9 need 270 columns"));
    CHECK_THROWS_AS(nn::Conv2d<float>(ImageShape{3, 10, 9}, 0, 3, generator), fedpp::ShapeError);
    CHECK_THROWS_AS(nn::Conv2d<float>(ImageShape{3, 2, 2}, 4, 3, generator), fedpp::ShapeError);
    CHECK_THROWS_WITH(nn::Conv2d<float>(ImageShape{3, 4, 4}, 3, {}, fedpp::Matrix<float>::Zero(2, 26),
                                        fedpp::Matrix<float>::Zero(1, 2)),
                      Contains("it must be out_channels x 27"));
    CHECK_THROWS_WITH(nn::Conv2d<float>(ImageShape{3, 4, 4}, 3, {}, fedpp::Matrix<float>::Zero(2, 27),
                                        fedpp::Matrix<float>::Zero(1, 3)),
                      Contains("the bias must be 1x2"));
}

TEST_CASE("nn::MaxPool2d, nn::Flatten and nn::Dropout as layers", "[nn][conv][dropout]") {
    const nn::MaxPool2d pool(ImageShape{2, 5, 7}, 2);
    CHECK(pool.output_shape() == ImageShape{2, 2, 3}); // stride = kernel, the last row and column unread
    CHECK(pool.window().stride == fedpp::Size2(2));
    const nn::MaxPool2d overlapping(ImageShape{1, 5, 5}, 3, 2, 1);
    CHECK(overlapping.output_shape() == ImageShape{1, 3, 3});
    CHECK_THROWS_WITH(nn::MaxPool2d(ImageShape{1, 5, 5}, 2, 2, 2), Contains("at most half the kernel"));
    const Tensor<double> x(fedpp::Matrix<double>::Random(3, 70));
    CHECK(pool(x).value() == fedpp::max_pool2d(x, ImageShape{2, 5, 7}, fedpp::Window2d{2, 2}).value());
    CHECK(pool.describe() == "MaxPool2d(kernel 2x2, stride 2x2, padding 0x0) 2x5x7 -> 2x2x3");

    CHECK(nn::Flatten{}(x).same_as(x)); // the layout is already flat

    const nn::Dropout dropout(0.25);
    CHECK(dropout.p() == 0.25);
    CHECK(dropout.describe() == "Dropout(0.25)");
    CHECK(dropout(x).same_as(x)); // evaluation: the input as is
    fedpp::Generator generator(5);
    fedpp::Generator same(5);
    const auto trained = dropout(x, nn::TrainingMode{generator});
    CHECK(trained.value() == fedpp::dropout(x, 0.25, same).value());
    CHECK(generator == same);
    CHECK((trained.value().array() == 0).count() > 0);
    CHECK_THROWS_AS(nn::Dropout(1.5), fedpp::ArgumentError);
    CHECK_THROWS_AS(nn::Dropout(-1), fedpp::ArgumentError);
}

TEST_CASE("nn::Sequential: the paper's CNN, its two forwards, and shape errors that name the layer", "[nn][conv]") {
    fedpp::Generator generator(1);
    const auto cnn = paper_cnn<float>(generator);
    CHECK(nn::parameter_count(cnn) == 1663370); // the paper's count
    CHECK(cnn.parameters().size() == 8);
    CHECK(cnn.describe().starts_with("Conv2d(1, 32, kernel 5x5, stride 1x1, padding 2x2) 1x28x28 -> 32x28x28 -> "
                                     "ReLU -> MaxPool2d(kernel 2x2, stride 2x2, padding 0x0) 32x28x28 -> 32x14x14"));
    CHECK(cnn.describe().ends_with("-> Flatten -> Linear(3136, 512) -> ReLU -> Linear(512, 10)"));
    const Tensor<float> batch(fedpp::Matrix<float>::Random(3, 784));
    const auto scores = cnn(batch);
    CHECK(scores.rows() == 3);
    CHECK(scores.cols() == 10);
    // Without Dropout, the training forward is the evaluation one and draws nothing.
    fedpp::Generator untouched(9);
    CHECK(cnn(batch, nn::TrainingMode{untouched}).value() == scores.value());
    CHECK(untouched == fedpp::Generator(9));
    CHECK_THROWS_WITH(cnn(Tensor<float>::zeros(3, 783)),
                      Contains("nn::Sequential: layer 0, Conv2d(1, 32, kernel 5x5") &&
                          Contains("the input is 3x783 but images of 1x28x28 need 784 columns"));

    fedpp::Generator g(2);
    nn::Conv2d<float> conv(ImageShape{1, 8, 8}, 2, 3, g);
    nn::Sequential<float> wrong(std::move(conv), nn::Flatten{}, nn::Linear<float>(128, 10, g)); // 2x6x6 = 72, not 128
    CHECK_THROWS_WITH(wrong(Tensor<float>::zeros(1, 64)), Contains("layer 2, Linear(128, 10): linear: input is 1x72"));

    // With Dropout: evaluation is deterministic, training draws a new mask each call.
    const auto with_dropout = digits_cnn(4, 0.5);
    const Tensor<float> images(fedpp::Matrix<float>::Random(5, 64));
    CHECK(with_dropout(images).value() == with_dropout(images).value());
    fedpp::Generator masks(11);
    const auto first = with_dropout(images, nn::TrainingMode{masks});
    const auto second = with_dropout(images, nn::TrainingMode{masks});
    CHECK(first.value() != second.value());
    CHECK(first.value() != with_dropout(images).value());
}

TEST_CASE("Sequential's parameters and for_each_parameter: each layer's weight, then bias, in layer order",
          "[nn][conv]") {
    fedpp::Generator generator(1);
    const auto cnn = paper_cnn<float>(generator);
    std::vector<const float*> expected; // the storage of each layer's own parameters(), in layer order
    for (const auto& layer : cnn) {
        std::visit(
            [&](const auto& l) {
                if constexpr (requires { l.parameters(); }) {
                    for (const auto& p : l.parameters()) {
                        expected.push_back(p.value().data());
                    }
                }
            },
            layer);
    }
    REQUIRE(expected.size() == 8); // two convolutions and two linear layers
    std::vector<const float*> listed;
    for (const auto& p : cnn.parameters()) {
        listed.push_back(p.value().data());
    }
    CHECK(listed == expected);
    std::vector<const float*> visited;
    cnn.for_each_parameter([&](const Tensor<float>& p) { visited.push_back(p.value().data()); });
    CHECK(visited == expected);
}

TEST_CASE("every layer kind round-trips through bytes, and bad layer bytes are rejected", "[serialization][conv]") {
    fedpp::Generator generator(6);
    nn::Conv2d<double> conv1(ImageShape{2, 9, 7}, 3, {3, 2}, generator, {.stride = 1, .padding = {1, 0}});
    nn::MaxPool2d pool(conv1.output_shape(), 3, 2, 1);
    nn::Conv2d<double> conv2(pool.output_shape(), 4, 2, generator, {.stride = 2});
    const Index flat = conv2.output_shape().size();
    const nn::Sequential<double> model(std::move(conv1), nn::ReLU{}, pool, std::move(conv2), nn::Tanh{},
                                       nn::Flatten{}, nn::Dropout(0.3), nn::Linear<double>(flat, 5, generator),
                                       nn::Sigmoid{});
    const fedpp::Bytes bytes = fedpp::to_bytes(model);
    const auto back = fedpp::from_bytes<nn::Sequential<double>>(bytes);
    CHECK(back.describe() == model.describe());
    CHECK(fedpp::to_bytes(back) == bytes);
    const Tensor<double> x(fedpp::Matrix<double>::Random(2, 126));
    CHECK(back(x).value() == model(x).value());
    fedpp::Generator a(8);
    fedpp::Generator b(8);
    CHECK(back(x, nn::TrainingMode{a}).value() == model(x, nn::TrainingMode{b}).value());

    for (std::size_t length = 0; length < bytes.size(); length += 7) {
        const fedpp::Bytes truncated(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
        CHECK_THROWS_AS(fedpp::from_bytes<nn::Sequential<double>>(truncated), fedpp::SerializationError);
    }

    const auto forged = [](auto&& write) {
        fedpp::Bytes out_bytes;
        fedpp::ByteWriter out(out_bytes);
        write(out);
        return out_bytes;
    };
    const auto conv_bytes = [&](ImageShape shape, fedpp::Window2d window, Index rows, Index cols) {
        return forged([&](fedpp::ByteWriter& out) {
            out.write_string(fedpp::Codec<nn::Conv2d<float>>::type_name());
            fedpp::detail::encode_image_shape(shape, out);
            fedpp::detail::encode_window(window, out);
            fedpp::detail::encode_matrix(fedpp::Matrix<float>(fedpp::Matrix<float>::Zero(rows, cols)), out);
            fedpp::detail::encode_matrix(fedpp::Matrix<float>(fedpp::Matrix<float>::Zero(1, rows)), out);
        });
    };
    CHECK(fedpp::from_bytes<nn::Conv2d<float>>(conv_bytes({1, 5, 5}, {3}, 2, 9)).output_shape() == ImageShape{2, 3, 3});
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::Conv2d<float>>(conv_bytes({1, 5, 5}, {3}, 2, 8)),
                      Contains("not a valid Conv2d layer"));
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::Conv2d<float>>(conv_bytes({1, 5, 5}, {3, 0}, 2, 9)),
                      Contains("not a valid Conv2d layer"));
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::Conv2d<float>>(conv_bytes({1 << 30, 1 << 30, 1 << 30}, {1}, 2, 9)),
                      Contains("not a valid Conv2d layer"));
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::Conv2d<float>>(forged([](fedpp::ByteWriter& out) {
                          out.write_string(fedpp::Codec<nn::Conv2d<float>>::type_name());
                          out.write<std::uint64_t>(~std::uint64_t{0});
                      })),
                      Contains("is too large"));
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::MaxPool2d>(forged([](fedpp::ByteWriter& out) {
                          out.write_string(fedpp::Codec<nn::MaxPool2d>::type_name());
                          fedpp::detail::encode_image_shape({1, 5, 5}, out);
                          fedpp::detail::encode_window({2, 2, 2}, out);
                      })),
                      Contains("not a valid MaxPool2d layer"));
    CHECK_THROWS_WITH(fedpp::from_bytes<nn::Dropout>(forged([](fedpp::ByteWriter& out) {
                          out.write_string(fedpp::Codec<nn::Dropout>::type_name());
                          out.write<double>(1.5);
                      })),
                      Contains("not a valid Dropout layer"));
}

TEST_CASE("CNNs go through checkpoints and fedavg unchanged", "[checkpoint][fedavg][conv]") {
    const auto model = digits_cnn(7);
    const std::string path = (std::filesystem::temp_directory_path() / "fedpp_test_cnn.ckpt").string();
    fedpp::save_checkpoint(path, fedpp::federated::TrainingState<nn::Sequential<float>>{3, 11, model.copy(), {}});
    const auto state = fedpp::load_checkpoint<fedpp::federated::TrainingState<nn::Sequential<float>>>(path);
    std::filesystem::remove(path);
    CHECK(state.rounds_done == 3);
    CHECK(fedpp::to_bytes(state.global_model) == fedpp::to_bytes(model));

    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook); // two data owners' models: what an aggregate may combine
    const auto other = digits_cnn(8);
    const auto aggregate = fedpp::fedavg(owners.contribute(model, secure), owners.contribute(other, secure)).get();
    CHECK(aggregate.contributions() == 2);
    const auto& average = aggregate.model();
    CHECK(average.describe() == model.describe());
    const auto p = model.parameters();
    const auto q = other.parameters();
    const auto r = average.parameters();
    REQUIRE(r.size() == 4);
    for (std::size_t k = 0; k < r.size(); ++k) {
        CHECK((r[k].value() - (p[k].value() + q[k].value()) / 2).cwiseAbs().maxCoeff() <= 1e-7f);
    }
}

TEST_CASE("local training: dropout draws from the client's generator, so a seed fixes the result",
          "[training][dropout]") {
    const auto data = digits().subset(std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
    fedpp::training::LocalTraining local;
    local.epochs = 2;
    local.batch_size = 5;
    const auto trained = [&](double dropout, std::uint64_t seed) {
        auto model = digits_cnn(3, dropout);
        fedpp::Generator generator(seed);
        const double loss = fedpp::training::train_locally(model, data, local, generator);
        return std::pair(fedpp::to_bytes(model), loss);
    };
    CHECK(trained(0.5, 1) == trained(0.5, 1));                 // bitwise reproducible
    CHECK(trained(0.5, 1).first != trained(0.5, 2).first);     // the seed matters
    CHECK(trained(0.5, 1).first != trained(0.0, 1).first);     // the masks were applied
    // Evaluation never drops: two evaluations agree, whatever was drawn before.
    auto model = digits_cnn(3, 0.5);
    const auto first = fedpp::training::evaluate(model, data);
    CHECK(fedpp::training::evaluate(model, data).loss == first.loss);
}

namespace {

/// evaluate_in_parallel's threads: a std::thread for each worker but the first.
struct OnThreads {
    std::size_t started = 0; // the workers asked for
    template <class Job>
    void run(std::size_t workers, const Job& job) {
        started = workers;
        std::vector<std::thread> threads;
        for (std::size_t t = 1; t < workers; ++t) {
            threads.emplace_back([&job, t] { job(t); });
        }
        job(0);
        for (std::thread& thread : threads) {
            thread.join();
        }
    }
};

} // namespace

TEST_CASE("evaluation in parallel: the same loss and accuracy, bitwise, for any number of workers",
          "[training][threads][conv]") {
    const auto data = digits().subset(std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    const auto model = digits_cnn(4, 0.5);
    OnThreads on_threads;
    for (const std::size_t batch : {std::size_t{1}, std::size_t{4}, std::size_t{5}, std::size_t{17}, std::size_t{100},
                                    std::numeric_limits<std::size_t>::max()}) {
        const auto alone = fedpp::training::evaluate(model, data, batch);
        CHECK(alone.examples == 17);
        for (const std::size_t workers : {1u, 2u, 3u, 8u}) {
            INFO("batch " << batch << ", " << workers << " workers");
            const auto shared = fedpp::training::evaluate_in_parallel(model, data, batch, workers, on_threads);
            CHECK(shared.loss == alone.loss);
            CHECK(shared.accuracy == alone.accuracy);
            CHECK(shared.examples == alone.examples);
        }
    }
    // A batch larger than the data set is one batch, however large.
    const auto one_batch = fedpp::training::evaluate(model, data, 100);
    const auto unbounded = fedpp::training::evaluate(model, data, std::numeric_limits<std::size_t>::max());
    CHECK(unbounded.loss == one_batch.loss);
    CHECK(unbounded.accuracy == one_batch.accuracy);
    CHECK(one_batch.loss > 0);
    // Each batch is scored once: a batch of 5 over 17 examples is 4 batches,
    // and more workers than that are not started.
    fedpp::training::evaluate_in_parallel(model, data, 5, 8, on_threads);
    CHECK(on_threads.started == 4);
    const fedpp::data::Dataset<float> none(fedpp::Matrix<float>::Zero(0, 64), {}, 10);
    CHECK(fedpp::training::evaluate_in_parallel(model, none, 5, 2, on_threads).examples == 0);
}

TEST_CASE("the driver trains a CNN with dropout bitwise identically on 1 and 2 threads, and resumes exactly",
          "[federated][threads][conv][dropout]") {
    const auto split = fedpp::data::split_every(digits(), 5);
    fedpp::Generator generator(1);
    std::vector<fedpp::data::Dataset<float>> clients;
    for (const auto& rows : fedpp::data::partition_iid(static_cast<std::size_t>(split.train.size()), 12, generator)) {
        clients.push_back(split.train.subset(rows));
    }
    fedpp::federated::Config config;
    config.rounds = 3;
    config.client_fraction = 0.5;
    config.local.epochs = 3;
    config.local.batch_size = 10;
    config.seed = 5;
    config.eval_batch = 37; // several test batches, scored on both threads
    std::vector<fedpp::Bytes> results;
    std::vector<double> accuracies;
    std::vector<std::vector<double>> test_losses;
    for (const std::size_t threads : {1u, 2u}) {
        config.threads = threads;
        fedpp::federated::FederatedAveraging run(digits_cnn(9), clients, split.test, config);
        const auto metrics = run.run();
        accuracies.push_back(metrics.back().test_accuracy);
        results.push_back(fedpp::to_bytes(run.global_model()));
        test_losses.emplace_back();
        for (const auto& m : metrics) {
            test_losses.back().push_back(m.test_loss);
        }
    }
    CHECK(results[0] == results[1]);
    CHECK(test_losses[0] == test_losses[1]);
    CHECK(accuracies[0] > 0.7); // it learns: 10 classes, chance is 0.1

    config.threads = 2;
    fedpp::federated::FederatedAveraging first(digits_cnn(9), clients, split.test, config);
    first.run_round();
    fedpp::federated::FederatedAveraging resumed(digits_cnn(10), clients, split.test, config);
    resumed.restore(first.state());
    resumed.run();
    CHECK(fedpp::to_bytes(resumed.global_model()) == results[0]);

    fedpp::federated::FederatedAveraging without_dropout(digits_cnn(9, 0.0), clients, split.test, config);
    without_dropout.run();
    CHECK(fedpp::to_bytes(without_dropout.global_model()) != results[0]); // the clients' masks made a difference
}

TEST_CASE("data sets of images: MNIST is N x 1 x 28 x 28 without a copy, shapes survive subsets and bytes",
          "[data][conv]") {
    const auto dir = std::filesystem::path(FEDPP_DATA_DIR) / "mnist";
    const auto test = fedpp::data::load_mnist(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
    REQUIRE(test.has_image_shape());
    CHECK(test.image_shape() == ImageShape{1, 28, 28});
    CHECK(test.image(0).data() == test.features().data()); // a view, not a copy
    CHECK(test.image(0).rows() == 28);
    CHECK(test.image(1)(7, 14) == test.features()(1, 7 * 28 + 14));
    CHECK_THROWS_AS(test.image(10000), fedpp::ShapeError);
    CHECK_THROWS_AS(test.image(0, 1), fedpp::ShapeError);
    const auto part = test.subset(std::vector<Index>{5, 2});
    CHECK(part.image_shape() == ImageShape{1, 28, 28});
    CHECK(part.image(1)(7, 14) == test.image(2)(7, 14));
    CHECK(digits().image_shape() == ImageShape{1, 8, 8});

    fedpp::data::Dataset<float> plain(fedpp::Matrix<float>::Zero(2, 12), {0, 1}, 2);
    CHECK_FALSE(plain.has_image_shape());
    CHECK_THROWS_WITH(plain.image_shape(), Contains("no image shape"));
    CHECK_THROWS_WITH(plain.set_image_shape({2, 2, 2}), Contains("images of 2x2x2 have 8 pixels"));
    CHECK_FALSE(fedpp::from_bytes<fedpp::data::Dataset<float>>(fedpp::to_bytes(plain)).has_image_shape());
    plain.set_image_shape({3, 2, 2});
    CHECK(fedpp::from_bytes<fedpp::data::Dataset<float>>(fedpp::to_bytes(plain)).image_shape() == ImageShape{3, 2, 2});
    CHECK_THROWS_AS(fedpp::data::Dataset<float>(fedpp::Matrix<float>::Zero(2, 12), {0, 1}, 2, ImageShape{1, 3, 3}),
                    fedpp::ShapeError);
}
