// Malformed safetensors files: every class of damage gives its typed
// fedpp::io error with the byte position, and no input crashes the reader.
// (It is also fuzzed: fuzz/fuzz_safetensors.cpp.)
#include "io_malformed.hpp"
#include "io_support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace io = fedpp::io;
using fedpp::Bytes;
using io_test::bytes_of;
using io_test::corrupt_every_byte;
using io_test::put_le;
using io_test::safetensors_file;
using io_test::thrown;

namespace {
template <class E>
E safetensors_error(const Bytes& file) {
    return thrown<E>([&] { (void)io::read_safetensors(file, "t.safetensors"); });
}

/// A safetensors file with one F32 tensor "a" per {shape, offsets} entry
/// text, and `data_size` data bytes.
Bytes one_entry(const std::string& entry, std::size_t data_size) {
    return safetensors_file(R"({"a": )" + entry + "}", Bytes(data_size));
}
} // namespace

TEST_CASE("io: truncated safetensors files", "[io][malformed]") {
    const Bytes good = io::safetensors_to_bytes(io_test::small_model(1));
    const std::size_t data_at = 8 + io_test::get_le(good, 0, 8);
    for (std::size_t length = 0; length < good.size(); ++length) {
        INFO("truncated to " << length << " bytes");
        const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length));
        if (length < 8) {
            CHECK(safetensors_error<io::TruncatedError>(cut).position() == length);
        } else if (length < data_at) {
            CHECK(safetensors_error<io::TruncatedError>(cut).position() == 0);
        } else {
            CHECK_THAT(safetensors_error<io::OffsetError>(cut).what(), Catch::Contains("out of range"));
        }
    }
}

TEST_CASE("io: a safetensors header length beyond the file", "[io][malformed]") {
    Bytes file = io::safetensors_to_bytes(io_test::small_model(1));
    for (const std::uint64_t length : {std::uint64_t{file.size() - 7}, std::uint64_t{1} << 40, ~std::uint64_t{0}}) {
        put_le(file, 0, 8, length);
        const auto e = safetensors_error<io::TruncatedError>(file);
        CHECK(e.position() == 0);
        CHECK_THAT(e.what(), Catch::Contains("runs past the end of the file"));
    }
}

TEST_CASE("io: a safetensors header beyond the reference implementation's 100 MB", "[io][malformed]") {
    Bytes file(8 + 100'000'001, std::byte{' '});
    put_le(file, 0, 8, 100'000'001);
    const auto e = safetensors_error<io::HeaderError>(file);
    CHECK(e.position() == 0);
    CHECK_THAT(e.what(), Catch::Contains("exceeds the limit of 100000000 bytes"));
}

TEST_CASE("io: bad JSON in a safetensors header", "[io][malformed]") {
    const std::string cut_list = R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},})";
    CHECK(safetensors_error<io::HeaderError>(safetensors_file(cut_list, Bytes(4))).position() ==
          8 + cut_list.size() - 1);
    // (1e999: a number no double holds, found by fuzz_safetensors.)
    for (const std::string json : {"{", R"({"a": tru})", "{} x", "{\"\xff\": 1}", "{\"a\" 1}", "{'a': 1}",
                                   R"({"a": {"dtype": "F32", "shape": 1e999}})"}) {
        INFO(json);
        CHECK_THAT(safetensors_error<io::HeaderError>(safetensors_file(json, {})).what(),
                   Catch::Contains("not valid JSON"));
    }
    for (const std::string json : {"", "[]", " {}", "\"{}\""}) {
        INFO(json);
        const auto e = safetensors_error<io::HeaderError>(safetensors_file(json, {}));
        CHECK(e.position() == 8);
        CHECK_THAT(e.what(), Catch::Contains("does not start with '{'"));
    }
}

TEST_CASE("io: safetensors headers of the wrong structure", "[io][malformed]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"(5)", "not a JSON object"},
        {R"({"shape": [1], "data_offsets": [0, 4]})", "no \"dtype\" string"},
        {R"({"dtype": 32, "shape": [1], "data_offsets": [0, 4]})", "no \"dtype\" string"},
        {R"({"dtype": "F32", "shape": "1", "data_offsets": [0, 4]})", "\"shape\""},
        {R"({"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]})", "\"shape\""},
        {R"({"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]})", "\"shape\""},
        {R"({"dtype": "F32", "shape": [1], "data_offsets": [4]})", "\"data_offsets\""},
        {R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]})", "\"data_offsets\""},
        {R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": 1})", "unknown field 'extra'"},
    };
    for (const auto& [entry, message] : cases) {
        INFO(entry);
        const auto e = safetensors_error<io::HeaderError>(one_entry(entry, 4));
        CHECK_THAT(e.what(), Catch::Contains("tensor 'a': ") && Catch::Contains(message));
        CHECK(e.position() == 8);
    }
    const std::string entry = R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
    CHECK_THAT(
        safetensors_error<io::HeaderError>(safetensors_file(R"({"a": )" + entry + R"(, "a": )" + entry + "}", Bytes(8)))
            .what(),
        Catch::Contains("names 'a' twice"));
    CHECK_THAT(safetensors_error<io::HeaderError>(safetensors_file(R"({"__metadata__": [1]})", {})).what(),
               Catch::Contains("__metadata__ is not a JSON object"));
    CHECK_THAT(safetensors_error<io::HeaderError>(safetensors_file(R"({"__metadata__": {"k": 1}})", {})).what(),
               Catch::Contains("__metadata__ value 'k' is not a string"));
}

TEST_CASE("io: safetensors offsets out of range, overlapping or leaving holes", "[io][malformed]") {
    const auto two = [](const std::string& a, const std::string& b, std::size_t data) {
        return safetensors_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": )" + a +
                                    R"(}, "b": {"dtype": "F32", "shape": [2], "data_offsets": )" + b + "}}",
                                Bytes(data));
    };
    const auto data_at = [](const Bytes& file) { return 8 + io_test::get_le(file, 0, 8); };
    const Bytes beyond = one_entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [4, 12]})", 8);
    CHECK_THAT(safetensors_error<io::OffsetError>(beyond).what(), Catch::Contains("out of range"));
    const Bytes reversed = one_entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]})", 8);
    CHECK_THAT(safetensors_error<io::OffsetError>(reversed).what(), Catch::Contains("out of range"));
    const Bytes overlapping = two("[0, 8]", "[4, 12]", 12);
    const auto overlap = safetensors_error<io::OffsetError>(overlapping);
    CHECK_THAT(overlap.what(), Catch::Contains("tensor 'b' overlaps tensor 'a'"));
    CHECK(overlap.position() == data_at(overlapping) + 4);
    const Bytes hole = two("[0, 8]", "[12, 20]", 20);
    const auto gap = safetensors_error<io::OffsetError>(hole);
    CHECK_THAT(gap.what(), Catch::Contains("data bytes [8, 12) belong to no tensor"));
    CHECK(gap.position() == data_at(hole) + 8);
    const Bytes tail = one_entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})", 12);
    CHECK_THAT(safetensors_error<io::OffsetError>(tail).what(), Catch::Contains("[8, 12) belong to no tensor"));
    // In any order of the header, touching ranges are fine.
    CHECK(io::read_safetensors(two("[8, 16]", "[0, 8]", 16), "ok").arrays.front().name == "b");
}

TEST_CASE("io: safetensors dtypes other than F32, F64, F16 and BF16", "[io][malformed]") {
    for (const std::string dtype : {"F8_E4M3", "bf16", "I64", "U8", "BOOL", "float32", ""}) {
        INFO(dtype);
        const auto e = safetensors_error<io::UnsupportedDtypeError>(
            one_entry(R"({"dtype": ")" + dtype + R"(", "shape": [1], "data_offsets": [0, 4]})", 4));
        CHECK_THAT(e.what(), Catch::Contains("dtype \"" + dtype + "\" is not supported"));
    }
}

TEST_CASE("io: safetensors shapes that do not match their bytes", "[io][malformed]") {
    for (const std::string entry : {R"({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]})",
                                    R"({"dtype": "F64", "shape": [2], "data_offsets": [0, 8]})",
                                    R"({"dtype": "F32", "shape": [], "data_offsets": [0, 8]})",
                                    R"({"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]})"}) {
        INFO(entry);
        CHECK_THAT(safetensors_error<io::SizeMismatchError>(one_entry(entry, 8)).what(),
                   Catch::Contains("does not fill data_offsets [0, 8]"));
    }
}

TEST_CASE("io: no single-byte change of a safetensors file crashes the reader", "[io][malformed]") {
    corrupt_every_byte(io::safetensors_to_bytes(io_test::small_model(1), {{"format", "pt"}}), false);
}
