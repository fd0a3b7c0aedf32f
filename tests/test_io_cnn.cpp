// Convolutional models in and out as safetensors and .npz files: PyTorch's
// state_dict names and 4-d shapes for nn::Conv2d, indices for the
// parameter-free image layers (MaxPool2d, Flatten, Dropout), bitwise round
// trips, and mismatches named. PyTorch itself: test_io_pytorch.cpp.
#include "data_files.hpp"
#include "io_support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace io = fedpp::io;
namespace nn = fedpp::nn;

namespace {
/// Conv2d(1, 3, 3, padding 1), ReLU, MaxPool2d(2), Conv2d(3, 4, 2x3,
/// stride 2x1), Flatten, Dropout, Linear(8, 5) on 1x6x8 images, as
/// torch.nn.Sequential would index them.
template <class T>
nn::Sequential<T> small_cnn(std::uint64_t seed) {
    fedpp::Generator generator(seed);
    nn::Conv2d<T> conv1(fedpp::ImageShape{1, 6, 8}, 3, 3, generator, {.padding = 1});
    nn::MaxPool2d pool(conv1.output_shape(), 2);
    nn::Conv2d<T> conv2(pool.output_shape(), 4, fedpp::Size2(2, 3), generator, {.stride = fedpp::Size2(2, 1)});
    nn::Linear<T> fc(conv2.output_shape().size(), 5, generator);
    return nn::Sequential<T>(std::move(conv1), nn::ReLU{}, pool, std::move(conv2), nn::Flatten{}, nn::Dropout(0.25),
                             std::move(fc));
}
} // namespace

TEST_CASE("io: a CNN's state_dict names and shapes are PyTorch's", "[io][conv]") {
    const auto model = small_cnn<float>(1);
    REQUIRE(std::get<nn::Conv2d<float>>(model[3]).output_shape().size() == 8); // 4 x 1 x 2
    std::vector<std::string> names;
    std::vector<io::Shape> shapes;
    for (const auto& entry : io::state_dict(model)) {
        names.push_back(entry.name);
        shapes.push_back(entry.shape);
    }
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"});
    CHECK(shapes == std::vector<io::Shape>{{3, 1, 3, 3}, {3}, {4, 3, 2, 3}, {4}, {5, 8}, {5}});

    const auto& conv = std::get<nn::Conv2d<float>>(model[3]);
    const auto conv_entries = io::state_dict(conv);
    REQUIRE(conv_entries.size() == 2);
    CHECK(conv_entries[0].name == "weight");
    CHECK(conv_entries[1].name == "bias");
    // Filter o, channel c, row i, column j is weight(o, (c * kh + i) * kw + j),
    // PyTorch's weight[o][c][i][j] in row-major order: the same storage.
    auto weight = conv_entries[0].tensor;
    weight.value()(2, (1 * 2 + 1) * 3 + 2) = 42.0f;
    CHECK(conv.weight().value().data()[2 * 18 + 11] == 42.0f);
}

TEST_CASE("io: a CNN round-trips bitwise through safetensors and npz", "[io][conv]") {
    const TempDir dir;
    const auto model = small_cnn<float>(1);
    for (const std::string name : {"cnn.safetensors", "cnn.npz"}) {
        INFO(name);
        io::save_weights(dir.file(name), model);
        auto loaded = small_cnn<float>(2);
        REQUIRE_FALSE(io_test::bitwise_equal(model, loaded));
        io::load_weights(dir.file(name), loaded);
        CHECK(io_test::bitwise_equal(model, loaded));
    }
    const auto doubles = small_cnn<double>(3);
    auto loaded = small_cnn<double>(4);
    io::load_npz_bytes(io::npz_to_bytes(doubles, /*compress=*/true), loaded, "deflated bytes");
    CHECK(io_test::bitwise_equal(doubles, loaded));
}

TEST_CASE("io: a CNN whose kernel or channels differ is a mismatch that names the weight", "[io][conv]") {
    const auto model = small_cnn<float>(1);
    const auto bytes = io::safetensors_to_bytes(model);

    fedpp::Generator generator(5);
    nn::Conv2d<float> conv1(fedpp::ImageShape{1, 6, 8}, 3, 3, generator, {.padding = 1});
    nn::MaxPool2d pool(conv1.output_shape(), 2);
    // A 3x2 kernel with stride 1x2 instead of 2x3 with stride 2x1: the same
    // number of weights and the same output size, another shape.
    nn::Conv2d<float> conv2(pool.output_shape(), 4, fedpp::Size2(3, 2), generator, {.stride = fedpp::Size2(1, 2)});
    nn::Linear<float> fc(conv2.output_shape().size(), 5, generator);
    REQUIRE(fc.in_features() == 8);
    nn::Sequential<float> other(std::move(conv1), nn::ReLU{}, pool, std::move(conv2), nn::Flatten{},
                                nn::Dropout(0.25), std::move(fc));
    const auto before = other.copy();
    try {
        io::load_safetensors_bytes(bytes, other, "cnn bytes");
        FAIL("a CNN of another shape loaded");
    } catch (const io::StateDictMismatchError& e) {
        std::vector<std::string> names;
        for (const auto& mismatch : e.mismatches()) {
            CHECK(mismatch.kind == io::Mismatch::Kind::shape);
            names.push_back(mismatch.name);
        }
        CHECK(names == std::vector<std::string>{"3.weight"});
        CHECK_THAT(e.what(), Catch::Contains("3.weight") && Catch::Contains("[4, 3, 3, 2]"));
    }
    CHECK(io_test::bitwise_equal(other, before));
}
