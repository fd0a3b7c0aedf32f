// Values as bytes: round trips, and clear errors for bytes that are not
// what they claim to be.
#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <vector>

using fedpp::Bytes;
using fedpp::Tensor;

TEST_CASE("scalars, vectors and strings round-trip", "[serialization]") {
    CHECK(fedpp::from_bytes<float>(fedpp::to_bytes(1.5f)) == 1.5f);
    CHECK(fedpp::from_bytes<double>(fedpp::to_bytes(-2.25)) == -2.25);
    CHECK(fedpp::from_bytes<std::int64_t>(fedpp::to_bytes(std::int64_t{-5})) == -5);
    CHECK(fedpp::from_bytes<std::uint16_t>(fedpp::to_bytes(std::uint16_t{65535})) == 65535);
    CHECK(fedpp::from_bytes<bool>(fedpp::to_bytes(true)));
    const std::vector<std::int32_t> labels{3, -1, 7};
    CHECK(fedpp::from_bytes<std::vector<std::int32_t>>(fedpp::to_bytes(labels)) == labels);
    CHECK(fedpp::from_bytes<std::string>(fedpp::to_bytes(std::string("bob"))) == "bob");
}

TEST_CASE("the byte format is little-endian and self-describing", "[serialization]") {
    const Bytes bytes = fedpp::to_bytes(std::uint32_t{0x01020304});
    // u64 length of "u32", "u32", then 04 03 02 01
    REQUIRE(bytes.size() == 8 + 3 + 4);
    CHECK(std::to_integer<int>(bytes[0]) == 3);
    CHECK(std::to_integer<int>(bytes[11]) == 4);
    CHECK(std::to_integer<int>(bytes[14]) == 1);
}

TEST_CASE("tensors, layers, models and data sets round-trip exactly", "[serialization]") {
    fedpp::Generator generator(8);
    const Tensor<double> t({{1.0 / 3, -2}, {1e-300, 4}}, true);
    const auto t2 = fedpp::from_bytes<Tensor<double>>(fedpp::to_bytes(t));
    CHECK(t2.value() == t.value());
    CHECK(t2.requires_grad());
    CHECK_FALSE(t2.same_as(t));

    const fedpp::nn::Linear<float> layer(5, 3, generator);
    const auto layer2 = fedpp::from_bytes<fedpp::nn::Linear<float>>(fedpp::to_bytes(layer));
    CHECK(layer2.weight().value() == layer.weight().value());
    CHECK(layer2.bias().value() == layer.bias().value());
    CHECK(layer2.weight().requires_grad());

    const fedpp::nn::Sequential<float> model(fedpp::nn::Linear<float>(4, 3, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(3, 2, generator), fedpp::nn::Tanh{},
                                             fedpp::nn::Sigmoid{});
    const auto model2 = fedpp::from_bytes<fedpp::nn::Sequential<float>>(fedpp::to_bytes(model));
    CHECK(model2.describe() == model.describe());
    const auto p = model.parameters();
    const auto p2 = model2.parameters();
    REQUIRE(p.size() == p2.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        CHECK(p[i].value() == p2[i].value());
    }

    const fedpp::data::Dataset<float> set(fedpp::Matrix<float>{{1, 2}, {3, 4}}, {1, 0}, 2);
    const auto set2 = fedpp::from_bytes<fedpp::data::Dataset<float>>(fedpp::to_bytes(set));
    CHECK(set2.features() == set.features());
    CHECK(set2.labels() == set.labels());
    CHECK(set2.class_count() == 2);
}

TEST_CASE("a measuring ByteWriter counts exactly what a writing one writes", "[serialization]") {
    fedpp::Generator generator(3);
    const fedpp::nn::Sequential<float> model(fedpp::nn::Linear<float>(7, 5, generator), fedpp::nn::ReLU{},
                                             fedpp::nn::Linear<float>(5, 2, generator));
    Bytes written;
    fedpp::ByteWriter writer(written);
    fedpp::ByteWriter measure(fedpp::ByteWriter::MeasureOnly{});
    for (fedpp::ByteWriter* out : {&writer, &measure}) {
        out->write(std::uint8_t{1});
        out->write(2.5);
        out->write_string("seven");
        fedpp::Codec<fedpp::nn::Sequential<float>>::encode(model, *out);
    }
    CHECK(measure.size() == written.size());
    const Bytes bytes = fedpp::to_bytes(model);
    CHECK(bytes.capacity() == bytes.size()); // sized up front, allocated once (libstdc++ reserves exactly)
}

TEST_CASE("bad bytes give SerializationError naming the input and the byte", "[serialization]") {
    const Tensor<float> t{{1, 2, 3}};
    const Bytes good = fedpp::to_bytes(t);

    SECTION("wrong type") {
        CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<double>>(good, "message"),
                          Catch::Contains("message: byte 0: holds a value of type 'fedpp::Tensor<f32>', expected "
                                          "'fedpp::Tensor<f64>'"));
    }
    SECTION("every truncation") {
        for (std::size_t length = 0; length < good.size(); ++length) {
            const Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length));
            CHECK_THROWS_AS(fedpp::from_bytes<Tensor<float>>(truncated), fedpp::SerializationError);
        }
    }
    SECTION("trailing bytes") {
        Bytes longer = good;
        longer.push_back(std::byte{0});
        CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(longer), Catch::Contains("1 unexpected bytes"));
    }
    SECTION("a huge shape does not allocate") {
        Bytes forged = good;
        // rows field: after the type name (8 + 18 bytes) and the requires_grad byte
        const std::size_t rows_at = 8 + fedpp::Codec<Tensor<float>>::type_name().size() + 1;
        const std::uint64_t huge = std::uint64_t{1} << 40;
        std::memcpy(forged.data() + rows_at, &huge, sizeof huge);
        CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(forged), Catch::Contains("matrix needs more bytes"));
    }
    SECTION("a bad boolean") {
        Bytes forged = good;
        forged[8 + fedpp::Codec<Tensor<float>>::type_name().size()] = std::byte{7};
        CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(forged), Catch::Contains("not 0 or 1"));
    }
    SECTION("an invalid model") {
        // A Linear whose bias does not fit its weight.
        Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write_string(fedpp::Codec<fedpp::nn::Linear<float>>::type_name());
        fedpp::detail::encode_matrix(fedpp::Matrix<float>(fedpp::Matrix<float>::Ones(2, 3)), out);
        fedpp::detail::encode_matrix(fedpp::Matrix<float>(fedpp::Matrix<float>::Ones(1, 3)), out);
        CHECK_THROWS_WITH(fedpp::from_bytes<fedpp::nn::Linear<float>>(bytes),
                          Catch::Contains("not a valid Linear layer"));
    }
    SECTION("an unknown layer kind") {
        Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write_string(fedpp::Codec<fedpp::nn::Sequential<float>>::type_name());
        out.write<std::uint64_t>(1);
        out.write<std::uint8_t>(9);
        CHECK_THROWS_WITH(fedpp::from_bytes<fedpp::nn::Sequential<float>>(bytes),
                          Catch::Contains("unknown layer kind"));
    }
    SECTION("a label outside the classes") {
        Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write_string(fedpp::Codec<fedpp::data::Dataset<float>>::type_name());
        out.write<std::int32_t>(2);
        fedpp::detail::encode_matrix(fedpp::Matrix<float>(fedpp::Matrix<float>::Ones(1, 3)), out);
        fedpp::Codec<std::vector<std::int32_t>>::encode({5}, out);
        CHECK_THROWS_WITH(fedpp::from_bytes<fedpp::data::Dataset<float>>(bytes),
                          Catch::Contains("not a valid data set"));
    }
}

namespace {
/// The bytes of a Tensor<float> whose rows and cols fields say `rows` and
/// `cols`, followed by `values` floats.
Bytes forged_tensor(std::uint64_t rows, std::uint64_t cols, std::size_t values) {
    Bytes bytes;
    fedpp::ByteWriter out(bytes);
    out.write_string(fedpp::Codec<Tensor<float>>::type_name());
    out.write(false);
    out.write(rows);
    out.write(cols);
    for (std::size_t i = 0; i < values; ++i) {
        out.write(static_cast<float>(i));
    }
    return bytes;
}
} // namespace

TEST_CASE("every forged matrix size is checked as a size, whatever the other dimension", "[serialization]") {
    // Issue 9, item 3: rows 2^63 and cols 0 decoded into a tensor with
    // negative rows(). Property: over sizes at every power of two and its
    // neighbours, crossed with each other, a decode either throws
    // SerializationError or gives exactly the announced, non-negative
    // shape, with its values present in the bytes.
    std::vector<std::uint64_t> sizes{0, 1, 2, 3, 5, 7};
    for (int bit = 2; bit < 64; ++bit) {
        const std::uint64_t power = std::uint64_t{1} << bit;
        sizes.insert(sizes.end(), {power - 1, power, power + 1});
    }
    sizes.push_back(~std::uint64_t{0});
    const auto index_max = static_cast<std::uint64_t>(std::numeric_limits<fedpp::Index>::max());
    std::size_t decoded = 0;
    for (const std::uint64_t rows : sizes) {
        for (const std::uint64_t cols : sizes) {
            // The shapes of at most 64 elements fit in Index and get their
            // values; any other gets 64 values, not enough.
            const bool fits = rows <= index_max && cols <= index_max && (rows == 0 || cols == 0 || rows <= 64 / cols);
            const Bytes bytes = forged_tensor(rows, cols, fits ? static_cast<std::size_t>(rows * cols) : 64);
            INFO("rows " << rows << ", cols " << cols);
            if (fits) {
                const auto t = fedpp::from_bytes<Tensor<float>>(bytes);
                CHECK(static_cast<std::uint64_t>(t.rows()) == rows);
                CHECK(static_cast<std::uint64_t>(t.cols()) == cols);
                ++decoded;
            } else {
                CHECK_THROWS_AS(fedpp::from_bytes<Tensor<float>>(bytes), fedpp::SerializationError);
            }
        }
    }
    CHECK(decoded > 0);
    // And the message says which size was wrong.
    CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(forged_tensor(std::uint64_t{1} << 63, 0, 0)),
                      Catch::Contains("rows") && Catch::Contains("9223372036854775808"));
    CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(forged_tensor(0, ~std::uint64_t{0}, 0)),
                      Catch::Contains("cols") && Catch::Contains("18446744073709551615"));
    // An empty shape with a valid size still decodes (an empty client's data).
    CHECK(fedpp::from_bytes<Tensor<float>>(forged_tensor(0, 64, 0)).cols() == 64);
}

TEST_CASE("every count read from bytes fits fedpp::Index", "[serialization]") {
    // A vector's length, a model's layer count and a weighted sum's count
    // are sizes too: above Index's range they are refused, never wrapped.
    for (const std::uint64_t count : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write_string(fedpp::Codec<fedpp::WeightedSum<Tensor<float>>>::type_name());
        out.write(1.0);
        out.write(count);
        fedpp::Codec<Tensor<float>>::encode(Tensor<float>{{1}}, out);
        CHECK_THROWS_AS(fedpp::from_bytes<fedpp::WeightedSum<Tensor<float>>>(bytes), fedpp::SerializationError);
    }
    fedpp::WeightedSum<Tensor<float>> sum(Tensor<float>{{0}});
    sum.add(Tensor<float>{{1}}, 2.0);
    CHECK(fedpp::from_bytes<fedpp::WeightedSum<Tensor<float>>>(fedpp::to_bytes(sum)).count() == 1);
}
