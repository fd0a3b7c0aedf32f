// Models in and out as safetensors and .npz files: PyTorch's names and
// shapes, bitwise round trips, the documented byte layouts, files written
// by NumPy and plain Python (tests/io_fixtures/), and loading that checks
// every name, dtype and shape. Malformed files: test_io_*_malformed.cpp.
#include "data_files.hpp"
#include "io_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#ifndef FEDPP_IO_FIXTURES_DIR
#error "FEDPP_IO_FIXTURES_DIR must name tests/io_fixtures (tests/CMakeLists.txt defines it)"
#endif

namespace io = fedpp::io;
using io_test::small_model;
using Mismatch = fedpp::io::Mismatch;

namespace {
std::string fixture(const std::string& name) { return std::string(FEDPP_IO_FIXTURES_DIR) + "/" + name; }

/// Trains `model` a few SGD steps on fixed data, so that its parameters are
/// not just their initial values.
template <class T>
void train_a_little(io_test::Sequential<T>& model) {
    fedpp::Generator generator(7);
    fedpp::optim::SGD<T> sgd(model.parameters(), T(0.1));
    const fedpp::Tensor<T> x{{0.5, -1, 2}, {1, 0.25, -0.5}, {-2, 1, 0}};
    const fedpp::Tensor<T> y{{1, 0}, {0, 1}, {1, 1}};
    for (int step = 0; step < 5; ++step) {
        sgd.zero_grad();
        auto loss = fedpp::nn::mse_loss(model(x), y);
        loss.backward();
        sgd.step();
    }
}

/// The fixtures' value k of tensor t (see tests/io_fixtures/make_fixtures.py).
double fixture_value(std::size_t tensor, std::size_t k) {
    return (static_cast<double>(k) + 10.0 * static_cast<double>(tensor)) / 16.0 - 1.0;
}

template <class T>
void check_fixture_values(const io_test::Sequential<T>& model) {
    const auto parameters = model.parameters();
    REQUIRE(parameters.size() == 4);
    for (std::size_t t = 0; t < parameters.size(); ++t) {
        for (Eigen::Index k = 0; k < parameters[t].size(); ++k) {
            INFO("tensor " << t << ", value " << k);
            CHECK(parameters[t].value().data()[k] == static_cast<T>(fixture_value(t, static_cast<std::size_t>(k))));
        }
    }
}
} // namespace

TEST_CASE("io: state_dict names and shapes are PyTorch's", "[io]") {
    fedpp::Generator generator(1);
    const fedpp::nn::Sequential<float> model(fedpp::nn::Linear<float>(3, 4, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(4, 2, generator), fedpp::nn::Tanh{},
                                             fedpp::nn::Sigmoid{}, fedpp::nn::Linear<float>(2, 5, generator));
    const auto entries = io::state_dict(model);
    std::vector<std::string> names;
    std::vector<io::Shape> shapes;
    for (const auto& entry : entries) {
        names.push_back(entry.name);
        shapes.push_back(entry.shape);
    }
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"});
    CHECK(shapes == std::vector<io::Shape>{{4, 3}, {4}, {2, 4}, {2}, {5, 2}, {5}});

    const fedpp::nn::Linear<double> linear(6, 3, generator);
    const auto linear_entries = io::state_dict(linear);
    REQUIRE(linear_entries.size() == 2);
    CHECK(linear_entries[0].name == "weight");
    CHECK(linear_entries[0].shape == io::Shape{3, 6});
    CHECK(linear_entries[1].name == "bias");
    CHECK(linear_entries[1].shape == io::Shape{3});

    // The entries share the model's storage.
    auto weight = entries[2].tensor;
    weight.value()(1, 3) = 42.0f;
    CHECK(std::get<fedpp::nn::Linear<float>>(model[2]).weight().value()(1, 3) == 42.0f);
}

TEST_CASE("io: safetensors and npz round trips are bitwise", "[io]") {
    const TempDir dir;
    auto model = small_model(1);
    train_a_little(model);
    // Values that a lossy path would change.
    auto first = model.parameters()[0];
    first.value()(0, 0) = std::numeric_limits<float>::quiet_NaN();
    first.value()(0, 1) = -0.0f;
    first.value()(0, 2) = std::numeric_limits<float>::infinity();
    first.value()(1, 0) = std::numeric_limits<float>::denorm_min();
    const std::vector<std::string> files{"m.safetensors", "m.npz"};
    for (const auto& name : files) {
        INFO(name);
        io::save_weights(dir.file(name), model);
        auto loaded = small_model(2);
        REQUIRE_FALSE(io_test::bitwise_equal(model, loaded));
        io::load_weights(dir.file(name), loaded);
        CHECK(io_test::bitwise_equal(model, loaded));
        CHECK_FALSE(std::filesystem::exists(dir.file(name + ".tmp")));
    }

    auto doubles = small_model<double>(3);
    train_a_little(doubles);
    auto loaded = small_model<double>(4);
    io::load_safetensors_bytes(io::safetensors_to_bytes(doubles), loaded, "bytes");
    CHECK(io_test::bitwise_equal(doubles, loaded));
    auto from_npz = small_model<double>(5);
    io::load_npz_bytes(io::npz_to_bytes(doubles, /*compress=*/true), from_npz, "deflated bytes");
    CHECK(io_test::bitwise_equal(doubles, from_npz));
}

TEST_CASE("io: loading keeps the model's tensors", "[io]") {
    auto source = small_model(1);
    auto target = small_model(2);
    const auto handles = target.parameters();
    io::load_safetensors_bytes(io::safetensors_to_bytes(source), target, "bytes");
    CHECK(handles[0].value() == source.parameters()[0].value());
    CHECK(handles[3].value() == source.parameters()[3].value());
}

TEST_CASE("io: the safetensors file has the documented layout", "[io]") {
    auto model = small_model(1);
    const fedpp::Bytes file = io::safetensors_to_bytes(model, {{"format", "pt"}});
    const std::uint64_t length = io_test::get_le(file, 0, 8);
    REQUIRE(8 + length <= file.size());
    CHECK((8 + length) % 8 == 0);
    const std::string text = io_test::text_of(file, 8, length);
    CHECK(text.front() == '{');
    const auto header = nlohmann::json::parse(text);
    CHECK(header["__metadata__"] == nlohmann::json{{"format", "pt"}});
    const auto parameters = model.parameters();
    const std::vector<std::string> names{"0.weight", "0.bias", "2.weight", "2.bias"};
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO(names[i]);
        const auto& entry = header.at(names[i]);
        CHECK(entry["dtype"] == "F32");
        const auto bytes = static_cast<std::uint64_t>(parameters[i].size()) * 4;
        CHECK(entry["data_offsets"] == nlohmann::json{offset, offset + bytes});
        // The values, row-major, little-endian.
        for (Eigen::Index k = 0; k < parameters[i].size(); ++k) {
            const auto bits = io_test::get_le(file, static_cast<std::size_t>(8 + length + offset + 4 * k), 4);
            CHECK(bits == std::bit_cast<std::uint32_t>(parameters[i].value().data()[k]));
        }
        offset += bytes;
    }
    CHECK(header["0.weight"]["shape"] == nlohmann::json{4, 3});
    CHECK(header["0.bias"]["shape"] == nlohmann::json{4});
    CHECK(8 + length + offset == file.size());
}

TEST_CASE("io: the npz file has the documented layout", "[io]") {
    const auto model = small_model(1);
    const fedpp::Bytes file = io::npz_to_bytes(model);
    // The first member: a stored local header, "0.weight.npy", then the .npy.
    CHECK(io_test::get_le(file, 0, 4) == 0x04034b50);
    CHECK(io_test::get_le(file, 8, 2) == 0); // stored
    const auto name_length = io_test::get_le(file, 26, 2);
    CHECK(io_test::text_of(file, 30, name_length) == "0.weight.npy");
    const std::size_t npy = 30 + name_length + io_test::get_le(file, 28, 2);
    CHECK(io_test::text_of(file, npy, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const auto header_length = io_test::get_le(file, npy + 8, 2);
    CHECK((10 + header_length) % 64 == 0);
    const std::string header = io_test::text_of(file, npy + 10, header_length);
    CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }", 0) == 0);
    CHECK(header.back() == '\n');
    CHECK(io_test::get_le(file, 14, 4) ==
          fedpp::io::detail::zip_crc32(std::span(file).subspan(npy, 10 + header_length + 48)));

    const auto members = fedpp::io::detail::read_zip(file, "npz");
    REQUIRE(members.size() == 4);
    CHECK(members[1].name == "0.bias.npy");
    const std::string bias_header =
        io_test::text_of(members[1].contents, 10, io_test::get_le(members[1].contents, 8, 2));
    CHECK(bias_header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 0) == 0);
}

TEST_CASE("io: files written by NumPy and by plain Python load", "[io]") {
    auto f32 = small_model(1);
    io::load_npz(fixture("numpy_savez_f32.npz"), f32);
    check_fixture_values(f32);
    auto st32 = small_model(2);
    io::load_safetensors(fixture("stdlib_f32.safetensors"), st32);
    check_fixture_values(st32);
    CHECK(io::read_safetensors(fedpp::io::detail::read_file(fixture("stdlib_f32.safetensors")), "f").metadata ==
          io::Metadata{{"format", "pt"}});

    auto f64 = small_model<double>(3);
    io::load_npz(fixture("numpy_savez_compressed_f64.npz"), f64); // deflated members
    check_fixture_values(f64);
    auto st64 = small_model<double>(4);
    io::load_weights(fixture("stdlib_f64.safetensors"), st64);
    check_fixture_values(st64);
}

TEST_CASE("io: loading reports every mismatch by name and changes nothing", "[io]") {
    fedpp::Generator generator(1);
    const fedpp::nn::Sequential<float> saved(fedpp::nn::Linear<float>(3, 4, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(4, 2, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(2, 2, generator));
    auto target = small_model(2); // 0: Linear(3, 4), 2: Linear(4, 2), no layer 4
    auto wider = fedpp::nn::Sequential<float>(fedpp::nn::Linear<float>(3, 5, generator), fedpp::nn::ReLU{},
                                              fedpp::nn::Linear<float>(5, 2, generator), fedpp::nn::Tanh{},
                                              fedpp::nn::Tanh{}, fedpp::nn::Linear<float>(2, 3, generator));
    const auto before = target.copy();
    const std::vector<fedpp::Bytes> files{io::safetensors_to_bytes(saved), io::npz_to_bytes(saved)};
    for (std::size_t f = 0; f < files.size(); ++f) {
        const auto& file = files[f];
        const bool is_npz = f == 1;
        const auto load = [&](auto& model) {
            is_npz ? io::load_npz_bytes(file, model, "saved") : io::load_safetensors_bytes(file, model, "saved");
        };
        try {
            load(target);
            FAIL("loaded a file with extra tensors");
        } catch (const io::StateDictMismatchError& e) {
            REQUIRE(e.mismatches().size() == 2);
            CHECK(e.mismatches()[0].kind == Mismatch::Kind::unexpected);
            CHECK(e.mismatches()[0].name == "4.bias");
            CHECK(e.mismatches()[1].name == "4.weight");
            CHECK_THAT(e.what(), Catch::Contains("'4.weight' ([2, 2] float32) is in the file but not in the model"));
        }
        CHECK(io_test::bitwise_equal(target, before));
        try {
            load(wider);
            FAIL("loaded a file into a model of other shapes");
        } catch (const io::StateDictMismatchError& e) {
            std::vector<std::string> found;
            for (const auto& m : e.mismatches()) {
                found.push_back(m.name + " " + std::to_string(static_cast<int>(m.kind)) + " " + m.in_model + " / " +
                                m.in_file);
            }
            CHECK(found == std::vector<std::string>{"0.weight 3 [5, 3] / [4, 3]", "0.bias 3 [5] / [4]",
                                                    "2.weight 3 [2, 5] / [2, 4]", "5.weight 0 [3, 2] float32 / ",
                                                    "5.bias 0 [3] float32 / ", "4.bias 1  / [2] float32",
                                                    "4.weight 1  / [2, 2] float32"});
        }
    }
}

TEST_CASE("io: another dtype is a mismatch unless conversion is asked for", "[io]") {
    auto doubles = small_model<double>(1);
    train_a_little(doubles);
    const fedpp::Bytes file = io::safetensors_to_bytes(doubles);
    auto floats = small_model<float>(2);
    try {
        io::load_safetensors_bytes(file, floats, "doubles");
        FAIL("loaded float64 into a float model");
    } catch (const io::StateDictMismatchError& e) {
        REQUIRE(e.mismatches().size() == 4);
        for (const auto& m : e.mismatches()) {
            CHECK(m.kind == Mismatch::Kind::dtype);
            CHECK(m.in_file == "float64");
            CHECK(m.in_model == "float32");
        }
    }
    io::load_safetensors_bytes(file, floats, "doubles", {.convert_dtype = true});
    for (std::size_t i = 0; i < 4; ++i) {
        const auto expected = doubles.parameters()[i].value().cast<float>().eval();
        CHECK(floats.parameters()[i].value() == expected);
    }
    auto back = small_model<double>(3);
    io::load_npz_bytes(io::npz_to_bytes(floats), back, "floats", {.convert_dtype = true});
    CHECK(back.parameters()[0].value() == floats.parameters()[0].value().cast<double>().eval());

    // A finite float64 that no float holds is refused, not loaded as an
    // infinity, and the model is left as it was; an infinity stays one.
    const auto before = fedpp::to_bytes(floats);
    for (const double huge : {3e39, -1e300}) {
        CAPTURE(huge);
        auto wide = doubles.copy();
        wide.parameters()[2].value()(0, 1) = huge;
        CHECK_THROWS_MATCHES(io::load_safetensors_bytes(io::safetensors_to_bytes(wide), floats, "wide",
                                                        {.convert_dtype = true}),
                             io::ValueRangeError,
                             MessageContains("wide: array '") && MessageContains("at index 1, beyond float's range"));
        CHECK(fedpp::to_bytes(floats) == before);
    }
    // Just below the boundary, a value rounds to the largest float.
    auto edge = doubles.copy();
    edge.parameters()[2].value()(0, 1) = static_cast<double>(std::numeric_limits<float>::max()) + 0x1p102;
    io::load_safetensors_bytes(io::safetensors_to_bytes(edge), floats, "edge", {.convert_dtype = true});
    CHECK(floats.parameters()[2].value()(0, 1) == std::numeric_limits<float>::max());
    edge.parameters()[2].value()(0, 1) = static_cast<double>(std::numeric_limits<float>::max()) + 0x1p103;
    CHECK_THROWS_AS(io::load_safetensors_bytes(io::safetensors_to_bytes(edge), floats, "edge", {.convert_dtype = true}),
                    io::ValueRangeError);
    auto infinite = doubles.copy();
    infinite.parameters()[2].value()(0, 1) = std::numeric_limits<double>::infinity();
    io::load_safetensors_bytes(io::safetensors_to_bytes(infinite), floats, "infinite", {.convert_dtype = true});
    CHECK(std::isinf(floats.parameters()[2].value()(0, 1)));
}

TEST_CASE("io: float16 and bfloat16 arrays load exactly into float and double models when conversion is asked for",
          "[io]") {
    // Bit patterns and the values they are: normal, subnormal, the largest,
    // a signed zero, infinities; a NaN stays a NaN.
    const std::vector<std::pair<std::uint16_t, float>> halves{
        {0x3C00, 1.0F},          {0xC000, -2.0F},       {0x3555, 0.333251953125F}, {0x0001, 0x1p-24F},
        {0x03FF, 1023 * 0x1p-24F}, {0x7BFF, 65504.0F},   {0x8000, -0.0F},
        {0x7C00, std::numeric_limits<float>::infinity()}, {0xFC00, -std::numeric_limits<float>::infinity()}};
    const std::vector<std::pair<std::uint16_t, float>> brains{
        {0x3F80, 1.0F}, {0xC040, -3.0F}, {0x0001, std::bit_cast<float>(0x00010000u)}, {0x7F7F, std::bit_cast<float>(0x7F7F0000u)},
        {0x8000, -0.0F}, {0xFF80, -std::numeric_limits<float>::infinity()}, {0x3EAB, std::bit_cast<float>(0x3EAB0000u)}};
    for (const auto& [dtype, table] : {std::pair{io::Dtype::f16, halves}, std::pair{io::Dtype::bf16, brains}}) {
        CAPTURE(io::dtype_name(dtype));
        // The model's arrays, their values drawn from the table in turn.
        auto arrays = io::to_arrays(small_model<float>(1));
        std::size_t next = 0;
        std::vector<float> expected;
        for (auto& array : arrays) {
            const std::size_t count = array.data.size() / sizeof(float);
            array.dtype = dtype;
            array.data.assign(2 * count, std::byte{0});
            for (std::size_t i = 0; i < count; ++i, ++next) {
                const auto& [bits, value] = table[next % table.size()];
                array.data[2 * i] = std::byte(bits & 0xff);
                array.data[2 * i + 1] = std::byte(bits >> 8);
                expected.push_back(value);
            }
        }
        const fedpp::Bytes file = io::safetensors_bytes(arrays);
        auto floats = small_model<float>(2);
        CHECK_THROWS_MATCHES(io::load_safetensors_bytes(file, floats, "half"), io::StateDictMismatchError,
                             MessageContains(std::string(io::dtype_name(dtype))));
        io::load_safetensors_bytes(file, floats, "half", {.convert_dtype = true});
        auto doubles = small_model<double>(2);
        io::load_safetensors_bytes(file, doubles, "half", {.convert_dtype = true});
        std::size_t k = 0;
        for (std::size_t p = 0; p < floats.parameters().size(); ++p) {
            const auto& f = floats.parameters()[p].value();
            const auto& d = doubles.parameters()[p].value();
            for (Eigen::Index i = 0; i < f.size(); ++i, ++k) {
                CHECK(std::bit_cast<std::uint32_t>(f.data()[i]) == std::bit_cast<std::uint32_t>(expected[k]));
                CHECK(std::bit_cast<std::uint64_t>(d.data()[i]) ==
                      std::bit_cast<std::uint64_t>(static_cast<double>(expected[k])));
            }
        }
        REQUIRE(k == expected.size());
        if (dtype == io::Dtype::f16) { // NumPy's '<f2' too
            auto from_npz = small_model<float>(3);
            io::load_npz_bytes(io::npz_bytes(arrays), from_npz, "half.npz", {.convert_dtype = true});
            CHECK(fedpp::to_bytes(from_npz) == fedpp::to_bytes(floats));
        } else { // NumPy has no bfloat16
            CHECK_THROWS_MATCHES(io::npz_bytes(arrays), fedpp::ArgumentError, MessageContains("NumPy has no type"));
        }
    }
    CHECK(std::isnan(io::detail::half_to_float(0x7E00)));
}

TEST_CASE("io: files, extensions and arguments", "[io]") {
    const TempDir dir;
    const auto model = small_model(1);
    CHECK_THROWS_AS(io::save_weights(dir.file("model.pt"), model), fedpp::ArgumentError);
    CHECK_FALSE(std::filesystem::exists(dir.file("model.pt")));
    auto target = small_model(2);
    CHECK_THROWS_AS(io::load_weights(dir.file("model.txt"), target), fedpp::ArgumentError);
    CHECK_THROWS_MATCHES(io::load_weights(dir.file("absent.npz"), target), io::WeightsIoError,
                         MessageContains("absent.npz"));
    CHECK_THROWS_AS(io::save_weights(dir.file("no/such/dir/m.safetensors"), model), io::WeightsIoError);

    // Hand-built records: repeated or reserved names, data that does not fit.
    io::ArrayRecord a{"a", io::Dtype::f32, {2}, fedpp::Bytes(8)};
    CHECK_THROWS_AS(io::safetensors_bytes({a, a}), fedpp::ArgumentError);
    CHECK_THROWS_AS(io::safetensors_bytes({{"__metadata__", io::Dtype::f32, {2}, fedpp::Bytes(8)}}),
                    fedpp::ArgumentError);
    CHECK_THROWS_AS(io::safetensors_bytes({{"b", io::Dtype::f64, {2}, fedpp::Bytes(8)}}), fedpp::ArgumentError);
    CHECK_THROWS_AS(io::npz_bytes({{"b", io::Dtype::f64, {2}, fedpp::Bytes(8)}}), fedpp::ArgumentError);
    CHECK_THROWS_AS(io::safetensors_bytes({a}, {{"key", std::string("\xff", 1)}}), fedpp::ArgumentError);

    // Empty and scalar arrays are valid in both formats.
    const std::vector<io::ArrayRecord> odd{{"empty", io::Dtype::f64, {0, 3}, {}},
                                           {"scalar", io::Dtype::f32, {}, fedpp::Bytes(4)}};
    const auto from_safetensors = io::read_safetensors(io::safetensors_bytes(odd), "odd").arrays;
    const auto from_npz = io::read_npz(io::npz_bytes(odd), "odd");
    for (const auto* arrays : {&from_safetensors, &from_npz}) {
        REQUIRE(arrays->size() == 2);
        CHECK((*arrays)[0].shape == io::Shape{0, 3});
        CHECK((*arrays)[0].data.empty());
        CHECK((*arrays)[1].shape == io::Shape{});
        CHECK((*arrays)[1].data.size() == 4);
    }
}
