// data::load_digits: the committed UCI digits file, and a DataFormatError
// naming the file, line and field for every kind of malformed input.
#include "data_files.hpp"

#include <fedpp/data/digits.hpp>
#include <fedpp/data/split.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

using fedpp::DataFormatError;
using fedpp::data::load_digits;

static_assert(std::is_base_of_v<fedpp::Error, DataFormatError>);

namespace {

std::filesystem::path digits_path() { return data_dir() / "digits" / "digits.csv.gz"; }

/// A well-formed row: pixel i is (i + shift) % 17, then the label.
std::string row(int label, int shift = 0) {
    std::string text;
    for (int i = 0; i < 64; ++i) {
        text += std::to_string((i + shift) % 17) + ",";
    }
    return text + std::to_string(label) + "\n";
}

/// `row(label)` with field `field` (1-based) replaced by `value`.
std::string row_with(int field, const std::string& value, int label = 3) {
    std::string text;
    for (int f = 1; f <= 65; ++f) {
        text += f == field ? value : f == 65 ? std::to_string(label) : std::to_string((f - 1) % 17);
        text += f == 65 ? "\n" : ",";
    }
    return text;
}

} // namespace

TEST_CASE("load_digits: the committed file has 1,797 examples of 64 pixels in 10 classes", "[data][digits]") {
    const auto digits = load_digits(digits_path());
    static_assert(std::is_same_v<decltype(digits), const fedpp::data::Dataset<float>>);
    REQUIRE(digits.size() == 1797);
    CHECK(digits.feature_count() == 64);
    CHECK(digits.class_count() == 10);
    CHECK(label_histogram(digits.labels()) == std::array<int, 10>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});

    // Scaled by 1/16 into [0, 1]: every value is k/16 for an integer k in 0..16.
    const auto& x = digits.features();
    CHECK(x.minCoeff() == 0.0f);
    CHECK(x.maxCoeff() == 1.0f);
    CHECK(((x.array() * 16.0f).round() - x.array() * 16.0f).abs().maxCoeff() == 0.0f);
    // The sum of all raw pixel values in the file.
    CHECK(x.cast<double>().sum() * 16.0 == Approx(561718.0).epsilon(1e-12));

    // The first row: 0,0,5,13,9,1,0,0, ... ending 6,13,10,0,0,0, label 0;
    // the labels start 0, 1, ..., 9.
    const std::array<float, 8> first_pixels{0, 0, 5, 13, 9, 1, 0, 0};
    for (int j = 0; j < 8; ++j) {
        CHECK(x(0, j) == first_pixels[static_cast<std::size_t>(j)] / 16.0f);
    }
    CHECK(x(0, 59) == 13.0f / 16.0f);
    for (int i = 0; i < 10; ++i) {
        CHECK(digits.labels()[static_cast<std::size_t>(i)] == i);
    }
    CHECK(digits.labels().back() == 8);
}

TEST_CASE("load_digits<double> reads the same values in double", "[data][digits]") {
    const auto as_float = load_digits(digits_path());
    const auto as_double = load_digits<double>(digits_path());
    CHECK(as_double.features() == as_float.features().cast<double>());
    CHECK(as_double.labels() == as_float.labels());
}

TEST_CASE("split_every(digits, 5): the issue's held-out set", "[data][digits][split]") {
    const auto digits = load_digits(digits_path());
    const auto split = fedpp::data::split_every(digits, 5);
    REQUIRE(split.test.size() == 360); // indices 0, 5, ..., 1795
    REQUIRE(split.train.size() == 1437);
    CHECK(label_histogram(split.test.labels()) == std::array<int, 10>{42, 28, 26, 48, 38, 39, 30, 26, 36, 47});
    CHECK(split.test.features().row(1) == digits.features().row(5));
    CHECK(split.train.features().row(4) == digits.features().row(6)); // 1, 2, 3, 4, 6, ...
    CHECK(split.train.class_count() == 10);
}

TEST_CASE("load_digits accepts well-formed variations", "[data][digits]") {
    TempDir dir;
    const auto path = dir / "digits.csv.gz";
    SECTION("no newline after the last row") {
        std::string text = row(4) + row(9, 5);
        text.pop_back();
        write_gzip(path, text);
        const auto set = load_digits(path);
        REQUIRE(set.size() == 2);
        CHECK(set.labels() == std::vector<std::int32_t>{4, 9});
        CHECK(set.features()(1, 0) == 5.0f / 16.0f);
        CHECK(set.features()(0, 16) == 1.0f);
    }
    SECTION("Windows line endings") {
        std::string text;
        for (const char c : row_with(2, "16") + row(8)) {
            text += c == '\n' ? std::string("\r\n") : std::string(1, c);
        }
        write_gzip(path, text);
        const auto set = load_digits(path);
        REQUIRE(set.size() == 2);
        CHECK(set.features()(0, 1) == 1.0f);
        CHECK(set.labels() == std::vector<std::int32_t>{3, 8});
    }
}

TEST_CASE("load_digits: a missing file, or one that is not a complete gzip file", "[data][digits]") {
    TempDir dir;
    const auto path = dir / "digits.csv.gz";
    SECTION("missing") {
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError,
                             MessageContains(path.string() + ": cannot open the file"));
    }
    SECTION("not gzip: the plain CSV") {
        write_raw(path, to_bytes(row(1)));
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError,
                             MessageContains(path.string() + ": compressed byte 0: not a gzip file"));
    }
    SECTION("the gzip file cut short") {
        const ByteVector compressed = read_raw(digits_path());
        write_raw(path, ByteVector(compressed.begin(), compressed.begin() + 30'000));
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError,
                             MessageContains(path.string() + ": compressed byte 30000: truncated gzip file"));
    }
    SECTION("a corrupt gzip stream") {
        ByteVector compressed = read_raw(digits_path());
        compressed[compressed.size() - 6] ^= 0xFF; // in the trailer's CRC
        write_raw(path, compressed);
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError, MessageContains("corrupt gzip data"));
    }
}

TEST_CASE("load_digits: an MNIST file instead of the digits", "[data][digits]") {
    const auto labels = data_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz";
    CHECK_THROWS_MATCHES(load_digits(labels), DataFormatError, MessageContains(labels.string() + ": line 1"));
}

TEST_CASE("load_digits: malformed CSV gives the line and field", "[data][digits]") {
    TempDir dir;
    const auto path = dir / "digits.csv.gz";
    const auto check = [&](const std::string& text, const std::string& message) {
        write_gzip(path, text);
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError, Catch::Message(path.string() + ": " + message));
    };

    SECTION("non-numeric fields") {
        check(row(0) + row_with(7, "x"), "line 2, field 7: 'x' is not an integer");
        check(row_with(3, "1.0"), "line 1, field 3: '1.0' is not an integer");
        check(row_with(3, "3x"), "line 1, field 3: '3x' is not an integer");
        check(row_with(3, " 5"), "line 1, field 3: ' 5' is not an integer");
        check(row_with(3, "+5"), "line 1, field 3: '+5' is not an integer");
        check(row_with(65, "nine"), "line 1, field 65: 'nine' is not an integer");
        check(row_with(3, "99999999999999999999"), "line 1, field 3: '99999999999999999999' is out of range");
        check(row_with(9, std::string(1000, 'z')),
              "line 1, field 9: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' (1000 characters) is not an integer");
    }
    SECTION("the wrong number of fields") {
        std::string short_row = row(1);
        short_row.erase(0, short_row.find(',') + 1); // 64 fields
        check(row(0) + row(2) + short_row, "line 3: 64 fields, expected 65 (64 pixel values, then the label)");
        std::string long_row = row(1);
        long_row.insert(0, "0,"); // 66 fields
        check(long_row, "line 1: 66 fields, expected 65 (64 pixel values, then the label)");
        check("1,2,3\n", "line 1: 3 fields, expected 65 (64 pixel values, then the label)");
    }
    SECTION("empty fields, lines and files") {
        check(row_with(2, ""), "line 1, field 2: empty field");
        check(row_with(65, ""), "line 1, field 65: empty field");
        check(row_with(1, ""), "line 1, field 1: empty field");
        check(row(0) + "\n" + row(1), "line 2: empty line (expected 65 comma-separated integers)");
        check(row(0) + "\n", "line 2: empty line (expected 65 comma-separated integers)");
        check("", "no rows (the decompressed file is empty)");
    }
    SECTION("pixel values outside 0..16") {
        check(row_with(5, "17"), "line 1, field 5: pixel value 17 is outside 0..16");
        check(row(2) + row_with(64, "-1"), "line 2, field 64: pixel value -1 is outside 0..16");
        check(row_with(5, "255"), "line 1, field 5: pixel value 255 is outside 0..16");
    }
    SECTION("labels outside 0..9") {
        check(row_with(65, "10"), "line 1, field 65: label 10 is outside 0..9");
        check(row(1) + row(2) + row(-1), "line 3, field 65: label -1 is outside 0..9");
    }
}

TEST_CASE("load_digits: the payload cut anywhere in its last row is an error, never a short read",
          "[data][digits]") {
    TempDir dir;
    const auto path = dir / "digits.csv.gz";
    const std::string whole = row(0) + row(7, 3) + row(5, 11);
    const std::size_t last_row = whole.size() - row(5, 11).size();
    // Cut after the first character of the last row, up to just before its
    // label; cutting off only the final newline leaves a valid file.
    for (std::size_t length = last_row + 1; length + 2 < whole.size(); ++length) {
        write_gzip(path, whole.substr(0, length));
        INFO("cut to " << length << " of " << whole.size() << " characters");
        CHECK_THROWS_MATCHES(load_digits(path), DataFormatError, MessageContains(path.string() + ": line 3"));
    }
    write_gzip(path, whole.substr(0, whole.size() - 1));
    CHECK(load_digits(path).size() == 3);
}
