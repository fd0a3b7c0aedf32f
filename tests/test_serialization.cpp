// Values as bytes: round trips, and clear errors for bytes that are not
// what they claim to be.
#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cstring>
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
