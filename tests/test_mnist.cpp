// data::load_mnist: the committed MNIST files, and a DataFormatError naming
// the file and the byte for every kind of malformed IDX input.
#include "data_files.hpp"

#include <fedpp/data/mnist.hpp>
#include <fedpp/data/partition.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

using Catch::Contains;
using fedpp::DataFormatError;
using fedpp::data::load_mnist;

namespace {

std::filesystem::path mnist_file(const std::string& name) { return data_dir() / "mnist" / name; }

/// Three 2x2 images with pixels 0, 1, ..., 11, scaled by 20 (0..220).
ByteVector small_pixels() {
    ByteVector pixels;
    for (unsigned char i = 0; i < 12; ++i) {
        pixels.push_back(static_cast<unsigned char>(20 * i));
    }
    return pixels;
}

} // namespace

TEST_CASE("load_mnist: the 60,000 training examples", "[data][mnist]") {
    const auto train =
        load_mnist(mnist_file("train-images-idx3-ubyte.gz"), mnist_file("train-labels-idx1-ubyte.gz"));
    REQUIRE(train.size() == 60000);
    CHECK(train.feature_count() == 784);
    CHECK(train.class_count() == 10);
    CHECK(label_histogram(train.labels()) ==
          std::array<int, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
    CHECK(std::vector<std::int32_t>(train.labels().begin(), train.labels().begin() + 10) ==
          std::vector<std::int32_t>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4});

    const auto& x = train.features();
    CHECK(x.minCoeff() == 0.0f);
    CHECK(x.maxCoeff() == 1.0f);
    // The first image (a 5): its first ink is at pixel 152 (row 5, column
    // 12), bytes 3 18 18 18 126 136 175 26; its bytes sum to 27525.
    const std::array<int, 8> ink{3, 18, 18, 18, 126, 136, 175, 26};
    for (int j = 0; j < 152; ++j) {
        REQUIRE(x(0, j) == 0.0f);
    }
    for (int j = 0; j < 8; ++j) {
        CHECK(x(0, 152 + j) == static_cast<float>(ink[static_cast<std::size_t>(j)]) / 255.0f);
    }
    // Every value is a byte over 255 (to float precision), and the bytes
    // add up as in the file.
    const auto bytes = (x.array() * 255.0f).round().eval();
    CHECK((x.array() * 255.0f - bytes).abs().maxCoeff() < 1e-4f);
    CHECK(bytes.row(0).cast<std::int64_t>().sum() == 27525);
    CHECK(bytes.row(59999).cast<std::int64_t>().sum() == 20920);
    CHECK(bytes.cast<std::int64_t>().sum() == 1567298545);

    SECTION("the FedAvg paper's pathological split: 100 clients, 2 shards of 300") {
        fedpp::Generator generator(2017);
        const auto parts = fedpp::data::partition_shards(train.labels(), 100, 2, generator);
        REQUIRE(parts.size() == 100);
        std::vector<int> seen(60000, 0);
        int clients_with_two_labels_or_fewer = 0;
        for (const auto& part : parts) {
            REQUIRE(part.size() == 600);
            std::set<std::int32_t> labels;
            for (const auto i : part) {
                ++seen[static_cast<std::size_t>(i)];
                labels.insert(train.labels()[static_cast<std::size_t>(i)]);
            }
            // MNIST's class sizes are not multiples of 300, so a shard can
            // straddle two labels: at most 4 per client, mostly 2 or fewer.
            CHECK(labels.size() <= 4);
            clients_with_two_labels_or_fewer += labels.size() <= 2 ? 1 : 0;
        }
        CHECK(std::all_of(seen.begin(), seen.end(), [](int count) { return count == 1; }));
        CHECK(clients_with_two_labels_or_fewer >= 80);
    }
}

TEST_CASE("load_mnist: the 10,000 test examples, in float and in double", "[data][mnist]") {
    const auto test = load_mnist(mnist_file("t10k-images-idx3-ubyte.gz"), mnist_file("t10k-labels-idx1-ubyte.gz"));
    REQUIRE(test.size() == 10000);
    CHECK(test.feature_count() == 784);
    CHECK(label_histogram(test.labels()) == std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009});
    CHECK(std::vector<std::int32_t>(test.labels().begin(), test.labels().begin() + 10) ==
          std::vector<std::int32_t>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9});
    CHECK(test.features().minCoeff() == 0.0f);
    CHECK(test.features().maxCoeff() == 1.0f);
    CHECK(test.features()(0, 202) == 84.0f / 255.0f); // the first ink of the first image (a 7)
    CHECK((test.features().array() * 255.0f).round().cast<std::int64_t>().sum() == 264923200);

    const auto in_double =
        load_mnist<double>(mnist_file("t10k-images-idx3-ubyte.gz"), mnist_file("t10k-labels-idx1-ubyte.gz"));
    CHECK(in_double.labels() == test.labels());
    CHECK((in_double.features().cast<float>() - test.features()).cwiseAbs().maxCoeff() == 0.0f);
    CHECK(in_double.features()(0, 202) == 84.0 / 255.0);
}

TEST_CASE("load_mnist reads any well-formed IDX pair", "[data][mnist]") {
    TempDir dir;
    const auto images = dir / "images.gz";
    const auto labels = dir / "labels.gz";
    SECTION("three 2x2 images") {
        write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, small_pixels()));
        write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 0, 9}));
        const auto set = load_mnist(images, labels);
        REQUIRE(set.size() == 3);
        REQUIRE(set.feature_count() == 4);
        CHECK(set.labels() == std::vector<std::int32_t>{1, 0, 9});
        CHECK(set.features()(0, 0) == 0.0f);
        CHECK(set.features()(1, 2) == 120.0f / 255.0f); // pixel 6, row-major
        CHECK(set.features()(2, 3) == 220.0f / 255.0f);
    }
    SECTION("no images at all") {
        write_gzip(images, idx_bytes(images_magic, {0, 28, 28}, {}));
        write_gzip(labels, idx_bytes(labels_magic, {0}, {}));
        const auto set = load_mnist(images, labels);
        CHECK(set.empty());
        CHECK(set.feature_count() == 784);
    }
}

TEST_CASE("load_mnist: missing files, and files that are not complete gzip files", "[data][mnist]") {
    TempDir dir;
    const auto images = dir / "images.gz";
    const auto labels = dir / "labels.gz";
    const ByteVector good_images = idx_bytes(images_magic, {3, 2, 2}, small_pixels());
    const ByteVector good_labels = idx_bytes(labels_magic, {3}, {1, 0, 9});
    write_gzip(images, good_images);
    write_gzip(labels, good_labels);

    SECTION("a missing image file, or label file") {
        CHECK_THROWS_MATCHES(load_mnist(dir / "missing.gz", labels), DataFormatError,
                             Catch::Message((dir / "missing.gz").string() +
                                            ": cannot open the file: No such file or directory"));
        CHECK_THROWS_MATCHES(load_mnist(images, dir / "missing.gz"), DataFormatError,
                             MessageContains((dir / "missing.gz").string() + ": cannot open the file"));
    }
    SECTION("not gzip: the IDX file itself") {
        write_raw(images, good_images);
        CHECK_THROWS_MATCHES(load_mnist(images, labels), DataFormatError,
                             MessageContains(images.string() + ": compressed byte 0: not a gzip file"));
    }
    SECTION("the gzip file cut short") {
        const ByteVector compressed = read_raw(labels);
        write_raw(labels, ByteVector(compressed.begin(), compressed.end() - 1));
        CHECK_THROWS_MATCHES(load_mnist(images, labels), DataFormatError,
                             MessageContains(labels.string() + ": compressed byte " +
                                             std::to_string(compressed.size() - 1) + ": truncated gzip file"));
    }
    SECTION("the real training images cut short") {
        const ByteVector compressed = read_raw(mnist_file("train-images-idx3-ubyte.gz"));
        write_raw(images, ByteVector(compressed.begin(), compressed.begin() + 1'000'000));
        CHECK_THROWS_MATCHES(load_mnist(images, mnist_file("train-labels-idx1-ubyte.gz")), DataFormatError,
                             MessageContains(images.string() + ": compressed byte 1000000: truncated gzip file"));
    }
    SECTION("a corrupt gzip stream") {
        ByteVector compressed = read_raw(images);
        compressed[compressed.size() - 7] ^= 0x40; // the trailer's CRC
        write_raw(images, compressed);
        CHECK_THROWS_MATCHES(load_mnist(images, labels), DataFormatError,
                             MessageContains(images.string() + ": compressed byte "));
        CHECK_THROWS_WITH(load_mnist(images, labels), Contains("corrupt gzip data"));
    }
}

TEST_CASE("load_mnist: malformed IDX gives the file and the byte", "[data][mnist]") {
    TempDir dir;
    const auto images = dir / "images.gz";
    const auto labels = dir / "labels.gz";
    write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, small_pixels()));
    write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 0, 9}));
    const auto check = [&](const std::string& message) {
        CHECK_THROWS_MATCHES(load_mnist(images, labels), DataFormatError, Catch::Message(message));
    };

    SECTION("bad magic numbers") {
        write_gzip(images, idx_bytes(0x12345678, {3, 2, 2}, small_pixels()));
        check(images.string() +
              ": byte 0: magic number 305419896 (0x12345678), expected 2051 (0x00000803) for an IDX image file");
    }
    SECTION("the digits CSV instead of IDX") {
        const auto digits = data_dir() / "digits" / "digits.csv.gz";
        CHECK_THROWS_MATCHES(load_mnist(digits, labels), DataFormatError,
                             Catch::Message(digits.string() +
                                            ": byte 0: magic number 808202284 (0x302c302c), expected 2051 "
                                            "(0x00000803) for an IDX image file"));
    }
    SECTION("image and label paths swapped") {
        CHECK_THROWS_MATCHES(
            load_mnist(labels, images), DataFormatError,
            Catch::Message(images.string() +
                           ": byte 0: magic number 2051 (0x00000803), expected 2049 (0x00000801) for an IDX label "
                           "file; this is an IDX image file: are the image and label paths swapped?"));
    }
    SECTION("a truncated header") {
        write_gzip(images, ByteVector{0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
        check(images.string() + ": byte 10: truncated: an IDX image file starts with a header of 16 bytes, but "
                                "the decompressed data has only 10 bytes");
        write_gzip(labels, ByteVector{0, 0});
        check(labels.string() + ": byte 2: truncated: an IDX label file starts with a header of 8 bytes, but "
                                "the decompressed data has only 2 bytes");
    }
    SECTION("pixel data shorter than the header says (the payload truncated)") {
        ByteVector pixels = small_pixels();
        pixels.pop_back();
        write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, pixels));
        check(images.string() + ": byte 27: truncated: the header announces 3 images of 2x2, but the data after "
                                "the header holds only 11 of the 12 bytes they need");
    }
    SECTION("label data shorter than the header says") {
        write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 0}));
        check(labels.string() + ": byte 10: truncated: the header announces 3 labels, but the data after the "
                                "header holds only 2 of the 3 bytes they need");
    }
    SECTION("trailing bytes") {
        ByteVector pixels = small_pixels();
        pixels.push_back(0);
        write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, pixels));
        check(images.string() + ": byte 28: 1 unexpected bytes after the last of the 3 images of 2x2 the header "
                                "announces");
        write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, small_pixels()));
        write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 0, 9, 9, 9}));
        check(labels.string() + ": byte 11: 2 unexpected bytes after the last of the 3 labels the header announces");
    }
    SECTION("rows x columns that do not fit the data") {
        write_gzip(images, idx_bytes(images_magic, {3, 2, 3}, small_pixels()));
        check(images.string() + ": byte 28: truncated: the header announces 3 images of 2x3, but the data after "
                                "the header holds only 12 of the 18 bytes they need");
        write_gzip(images, idx_bytes(images_magic, {3, 1, 2}, small_pixels()));
        check(images.string() + ": byte 22: 6 unexpected bytes after the last of the 3 images of 1x2 the header "
                                "announces");
    }
    SECTION("huge sizes in the header are checked before anything is allocated") {
        write_gzip(images, idx_bytes(images_magic, {0x7fffffff, 0x7fffffff, 0x7fffffff}, small_pixels()));
        check(images.string() + ": byte 28: truncated: the header announces 2147483647 images of "
                                "2147483647x2147483647, but the data after the header holds only 12 of the more "
                                "than 2^64 bytes they need");
        write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, small_pixels()));
        write_gzip(labels, idx_bytes(labels_magic, {0x7fffffff}, {1, 0, 9}));
        check(labels.string() + ": byte 11: truncated: the header announces 2147483647 labels, but the data after "
                                "the header holds only 3 of the 2147483647 bytes they need");
    }
    SECTION("negative and zero sizes") {
        write_gzip(images, idx_bytes(images_magic, {0xffffffff, 2, 2}, small_pixels()));
        check(images.string() + ": byte 4: the image count is -1, negative");
        write_gzip(images, idx_bytes(images_magic, {3, 0, 2}, small_pixels()));
        check(images.string() + ": byte 8: the row count is 0; it must be positive");
        write_gzip(images, idx_bytes(images_magic, {3, 2, 0x80000000}, small_pixels()));
        check(images.string() + ": byte 12: the column count is -2147483648, negative");
    }
    SECTION("image and label counts that differ") {
        write_gzip(labels, idx_bytes(labels_magic, {2}, {1, 0}));
        check(images.string() + ": byte 4: 3 images, but " + labels.string() +
              ": byte 4: 2 labels; the counts must match");
    }
    SECTION("labels outside 0..9") {
        write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 10, 9}));
        check(labels.string() + ": byte 9: label 10 of example 1 is outside 0..9");
        write_gzip(labels, idx_bytes(labels_magic, {3}, {1, 0, 255}));
        check(labels.string() + ": byte 10: label 255 of example 2 is outside 0..9");
    }
}
