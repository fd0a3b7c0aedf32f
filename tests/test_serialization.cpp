// Values as bytes: round trips, and clear errors for bytes that are not
// what they claim to be.
#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include "heap.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
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

namespace {
/// Splits `bytes` into chunks: `sizes` repeated (a size of 0 gives an empty chunk).
std::vector<std::span<const std::byte>> chunks_of(std::span<const std::byte> bytes,
                                                  const std::vector<std::size_t>& sizes) {
    std::vector<std::span<const std::byte>> chunks;
    std::size_t at = 0;
    for (std::size_t i = 0; at < bytes.size(); ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], bytes.size() - at);
        chunks.push_back(bytes.subspan(at, n));
        at += n;
    }
    return chunks;
}

/// Decodes a T from `chunks`, announced as `total` bytes, as a party decodes
/// a value from a stream.
template <class T>
T from_chunks(const std::vector<std::span<const std::byte>>& chunks, std::uint64_t total) {
    std::size_t next = 0;
    const auto source = [&](std::span<const std::byte>& chunk) {
        if (next == chunks.size()) {
            return false;
        }
        chunk = chunks[next++];
        return true;
    };
    const auto what = [] { return std::string("message"); };
    fedpp::ByteReader in(total, source, what);
    return fedpp::detail::read_tagged_value<T>(in);
}

template <class T>
void check_every_chunking(const T& value) {
    const Bytes bytes = fedpp::to_bytes(value);
    INFO(fedpp::Codec<T>::type_name() << ", " << bytes.size() << " bytes");
    for (std::size_t size = 1; size <= bytes.size() + 1; ++size) {
        INFO("chunks of " << size);
        CHECK(fedpp::to_bytes(from_chunks<T>(chunks_of(bytes, {size}), bytes.size())) == bytes);
    }
    // Uneven chunks, with empty ones among them.
    CHECK(fedpp::to_bytes(from_chunks<T>(chunks_of(bytes, {3, 0, 1, 17, 0, 0, 5}), bytes.size())) == bytes);
    CHECK(fedpp::to_bytes(from_chunks<T>(chunks_of(bytes, {bytes.size() - 1, 1}), bytes.size())) == bytes);
}
} // namespace

TEST_CASE("a value read in chunks, split anywhere, decodes as from its whole bytes", "[serialization]") {
    fedpp::Generator generator(5);
    check_every_chunking(std::string("a string across chunks"));
    check_every_chunking(std::vector<std::int32_t>{3, -1, 7, 1 << 30});
    check_every_chunking(std::uint64_t{0x0102030405060708});
    check_every_chunking(true);
    check_every_chunking(Tensor<double>({{1.0 / 3, -2}, {1e-300, 4}}, true));
    check_every_chunking(fedpp::nn::Sequential<float>(fedpp::nn::Linear<float>(4, 3, generator), fedpp::nn::ReLU{},
                                                      fedpp::nn::Linear<float>(3, 2, generator)));
    check_every_chunking(fedpp::data::Dataset<float>(fedpp::Matrix<float>{{1, 2}, {3, 4}}, {1, 0}, 2));
}

TEST_CASE("a chunked input that ends early, goes on past its announced size or is malformed is refused as whole "
          "bytes are",
          "[serialization]") {
    const Tensor<float> t{{1, 2, 3}};
    const Bytes good = fedpp::to_bytes(t);

    SECTION("ends early, at every length") {
        for (std::size_t length = 0; length < good.size(); ++length) {
            const auto chunks = chunks_of(std::span(good).first(length), {5});
            CHECK_THROWS_WITH(from_chunks<Tensor<float>>(chunks, good.size()), Catch::Contains("truncated"));
        }
    }
    SECTION("goes on past its announced size") {
        Bytes longer = good;
        longer.push_back(std::byte{0});
        for (const std::size_t size : {std::size_t{1}, std::size_t{7}, good.size(), good.size() + 1}) {
            INFO("chunks of " << size);
            CHECK_THROWS_WITH(from_chunks<Tensor<float>>(chunks_of(longer, {size}), good.size()),
                              Catch::Contains("goes on past its announced"));
        }
        // Announced short: the input may not exceed what was announced, even where the value would end.
        CHECK_THROWS_AS(from_chunks<Tensor<float>>(chunks_of(good, {4}), good.size() - 4), fedpp::SerializationError);
        // An extra chunk after the whole value.
        auto chunks = chunks_of(good, {6});
        const std::byte extra[1]{};
        chunks.emplace_back(extra);
        CHECK_THROWS_WITH(from_chunks<Tensor<float>>(chunks, good.size()),
                          Catch::Contains("goes on past its announced"));
    }
    SECTION("malformed: the same message, naming the same byte") {
        Bytes bad_flag = good;
        bad_flag[8 + fedpp::Codec<Tensor<float>>::type_name().size()] = std::byte{7};
        Bytes huge = good;
        const std::uint64_t rows = std::uint64_t{1} << 40;
        std::memcpy(huge.data() + 8 + fedpp::Codec<Tensor<float>>::type_name().size() + 1, &rows, sizeof rows);
        const Bytes other_type = fedpp::to_bytes(Tensor<double>{{1, 2, 3}});
        Bytes long_name = good; // a type name of 1 GiB: refused from its length, before its bytes
        const std::uint64_t name_length = std::uint64_t{1} << 30;
        std::memcpy(long_name.data(), &name_length, sizeof name_length);
        CHECK_THROWS_WITH(fedpp::from_bytes<Tensor<float>>(long_name),
                          Catch::Contains("a string of 1073741824 bytes, longer than the 4096 expected"));
        for (const Bytes* forged :
             std::initializer_list<const Bytes*>{&bad_flag, &huge, &other_type, &long_name}) {
            std::string whole;
            try {
                (void)fedpp::from_bytes<Tensor<float>>(*forged, "message");
            } catch (const fedpp::SerializationError& e) {
                whole = e.what();
            }
            REQUIRE_FALSE(whole.empty());
            for (const std::size_t size : {std::size_t{1}, std::size_t{3}, std::size_t{11}}) {
                CHECK_THROWS_WITH(from_chunks<Tensor<float>>(chunks_of(*forged, {size}), forged->size()), whole);
            }
        }
    }
}

TEST_CASE("a sending ByteWriter hands on to_bytes's bytes in chunks of its size, an array's whole chunks from the "
          "array itself",
          "[serialization]") {
    const Tensor<float> t(fedpp::Matrix<float>::Random(50, 41));
    const Bytes bytes = fedpp::to_bytes(t);
    const auto* array_first = reinterpret_cast<const std::byte*>(t.value().data());
    const auto* array_last = array_first + t.value().size() * sizeof(float);
    for (const std::size_t chunk_bytes : {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{1000},
                                          bytes.size() - 1, bytes.size(), bytes.size() + 1}) {
        INFO("chunks of " << chunk_bytes);
        Bytes sent;
        std::vector<std::size_t> sizes;
        std::size_t uncopied = 0;
        const auto sink = [&](std::span<const std::byte> chunk) {
            sent.insert(sent.end(), chunk.begin(), chunk.end());
            sizes.push_back(chunk.size());
            uncopied += chunk.data() >= array_first && chunk.data() + chunk.size() <= array_last ? 1 : 0;
        };
        fedpp::ByteWriter out(chunk_bytes, sink);
        fedpp::detail::write_tagged_value(t, out);
        out.finish();
        CHECK(sent == bytes);
        CHECK(out.size() == bytes.size());
        REQUIRE_FALSE(sizes.empty());
        for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
            CHECK(sizes[i] == chunk_bytes);
        }
        CHECK(sizes.back() > 0);
        CHECK(sizes.back() <= chunk_bytes);
        // Every chunk that lies within the array and is whole comes from it.
        const std::size_t header = bytes.size() - t.value().size() * sizeof(float);
        const std::size_t within = (bytes.size() - header) / chunk_bytes; // at least this many whole ones fit
        CHECK(uncopied + 1 >= within);
    }
}

TEST_CASE("a store request may carry the value to encode, even to a transport that does not stream",
          "[serialization]") {
    fedpp::InProcessTransport transport;
    transport.attach(1, "bob", false);
    const Tensor<double> t({{1.5, -2}, {3, 4}});
    const auto write = [&](fedpp::ByteWriter& out) { fedpp::detail::write_tagged_value(t, out); };
    const fedpp::ValueEncoding encoding{fedpp::detail::tagged_size(t), write};
    const auto& type = fedpp::detail::value_type<Tensor<double>>();
    const fedpp::ObjectId id =
        transport.deliver(fedpp::Request::store(fedpp::model_owner_id, 1, type, encoding)).object;
    REQUIRE(id != 0);
    const auto fetched = transport.deliver(fedpp::Request::fetch(1, id, type, fedpp::TransferKind::get));
    CHECK(fetched.payload == fedpp::to_bytes(t));
}

TEST_CASE("a chunked input's forged count allocates no more than its sender sent", "[serialization]") {
    // A vector announced as 512 MiB of an input announced as 1 GiB, of
    // which the sender sends a few chunks and then stops.
    Bytes start;
    fedpp::ByteWriter out(start);
    out.write_string(fedpp::Codec<std::vector<std::int32_t>>::type_name());
    out.write<std::uint64_t>(std::uint64_t{1} << 27);
    out.write_array(std::vector<std::int32_t>(1000, 7).data(), 1000);
    const std::size_t baseline = heap_bytes_in_use();
    std::size_t peak = baseline;
    std::size_t sent = 0;
    const auto source = [&](std::span<const std::byte>& chunk) {
        peak = std::max(peak, heap_bytes_in_use());
        if (sent == start.size()) {
            return false;
        }
        const std::size_t n = std::min<std::size_t>(100, start.size() - sent);
        chunk = std::span<const std::byte>(start).subspan(sent, n);
        sent += n;
        return true;
    };
    const auto what = [] { return std::string("a hostile stream"); };
    fedpp::ByteReader in(std::uint64_t{1} << 30, source, what);
    CHECK_THROWS_WITH(fedpp::detail::read_tagged_value<std::vector<std::int32_t>>(in),
                      Catch::Contains("truncated: the input ended after"));
    INFO("peak heap growth " << (peak - baseline) << " bytes");
    CHECK(peak - baseline < (std::size_t{80} << 20)); // far from 512 MiB
}
