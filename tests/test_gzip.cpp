// detail::read_gzip_file, under the data loaders: exactly the compressed
// bytes back, and a DataFormatError naming the file and the compressed byte
// for everything that is not one complete gzip stream.
#include "data_files.hpp"

#include <fedpp/data/gzip.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using Catch::Contains;
using fedpp::DataFormatError;
using fedpp::detail::read_gzip_file;

namespace {

/// Bytes that barely compress (a fixed linear congruential sequence).
ByteVector noise(std::size_t count, std::uint32_t seed) {
    ByteVector bytes(count);
    for (auto& byte : bytes) {
        seed = seed * 1664525u + 1013904223u;
        byte = static_cast<unsigned char>(seed >> 24);
    }
    return bytes;
}

ByteVector concatenate(ByteVector a, const ByteVector& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::string sample_text = "0,1,2,3,4,5,6,7,8,9\n10,11,12,13,14,15,16,0,1,2\nthe quick brown fox\n";

} // namespace

TEST_CASE("read_gzip_file returns exactly the bytes that were compressed", "[data][gzip]") {
    TempDir dir;
    const auto path = dir / "file.gz";

    SECTION("a short text") {
        write_gzip(path, sample_text);
        CHECK(read_gzip_file(path) == to_bytes(sample_text));
    }
    SECTION("nothing at all") {
        write_gzip(path, ByteVector{});
        CHECK(read_gzip_file(path).empty());
    }
    SECTION("more than the 64 KiB read and output buffers, compressible or not") {
        // Zeros expand far beyond one output buffer per input buffer; noise
        // needs several input buffers.
        const ByteVector content = concatenate(ByteVector(3'000'000, 0), noise(300'000, 7));
        write_gzip(path, content);
        CHECK(read_gzip_file(path) == content);
    }
    SECTION("several gzip members one after another, as cat a.gz b.gz makes") {
        const ByteVector a = to_bytes("first member\n");
        const ByteVector b = noise(100'000, 3);
        write_raw(path, concatenate(concatenate(gzip_bytes(dir, a), gzip_bytes(dir, b)), gzip_bytes(dir, {})));
        CHECK(read_gzip_file(path) == concatenate(a, b));
    }
}

TEST_CASE("read_gzip_file: a missing or unreadable file", "[data][gzip]") {
    TempDir dir;
    SECTION("missing") {
        const auto path = dir / "no-such-file.gz";
        CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                             Catch::Message(path.string() + ": cannot open the file: No such file or directory"));
    }
    SECTION("a directory") {
        // chmod 000 would not stop root, who may run the tests; reading a
        // directory fails for everyone.
        CHECK_THROWS_MATCHES(read_gzip_file(dir.path()), DataFormatError,
                             Catch::Message(dir.path().string() +
                                            ": cannot read the file after byte 0: Is a directory"));
    }
}

TEST_CASE("read_gzip_file: files that are not gzip", "[data][gzip]") {
    TempDir dir;
    const auto path = dir / "file.gz";
    SECTION("empty") {
        write_raw(path, {});
        CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                             Catch::Message(path.string() + ": the file is empty, not a gzip file"));
    }
    SECTION("plain text, as if someone gunzipped it and kept the name") {
        write_raw(path, to_bytes(sample_text));
        CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                             Catch::Message(path.string() +
                                            ": compressed byte 0: not a gzip file (a gzip file starts with the "
                                            "bytes 1f 8b)"));
    }
    SECTION("a single byte") {
        write_raw(path, {0x1f});
        CHECK_THROWS_WITH(read_gzip_file(path), Contains("not a gzip file"));
    }
    SECTION("a zlib stream, not gzip") {
        ByteVector compressed(128);
        uLongf size = static_cast<uLongf>(compressed.size());
        const ByteVector text = to_bytes(sample_text);
        REQUIRE(compress(compressed.data(), &size, text.data(), static_cast<uLong>(text.size())) == Z_OK);
        compressed.resize(size);
        write_raw(path, compressed);
        CHECK_THROWS_WITH(read_gzip_file(path), Contains("not a gzip file"));
    }
}

TEST_CASE("read_gzip_file: a corrupt gzip stream", "[data][gzip]") {
    TempDir dir;
    const auto path = dir / "file.gz";
    const ByteVector good = gzip_bytes(dir, to_bytes(sample_text));
    REQUIRE(good.size() > 18);

    SECTION("an unknown compression method in the header") {
        ByteVector bad = good;
        bad[2] = 7; // 8 is deflate, the only method
        write_raw(path, bad);
        CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                             Catch::Message(path.string() +
                                            ": compressed byte 4: corrupt gzip data (zlib: unknown compression "
                                            "method)")); // zlib reads the method and flags bytes together
    }
    SECTION("a wrong CRC in the trailer") {
        ByteVector bad = good;
        bad[bad.size() - 8] ^= 0x01; // the CRC-32 is the trailer's first 4 bytes
        write_raw(path, bad);
        CHECK_THROWS_WITH(read_gzip_file(path), Contains(path.string() + ": compressed byte ") &&
                                                    Contains("corrupt gzip data (zlib: incorrect data check)"));
    }
    SECTION("a wrong length in the trailer") {
        ByteVector bad = good;
        bad[bad.size() - 4] ^= 0x01; // the uncompressed length is the last 4 bytes
        write_raw(path, bad);
        CHECK_THROWS_WITH(read_gzip_file(path), Contains("corrupt gzip data (zlib: incorrect length check)"));
    }
    SECTION("any one byte changed: an error, or (a header field inflate ignores) the right content") {
        for (std::size_t at = 0; at < good.size(); ++at) {
            ByteVector bad = good;
            bad[at] ^= 0xA5;
            write_raw(path, bad);
            INFO("byte " << at << " changed");
            ByteVector content;
            try {
                content = read_gzip_file(path);
            } catch (const DataFormatError& e) {
                CHECK_THAT(e.what(), Contains(path.string()));
                continue;
            }
            CHECK(content == to_bytes(sample_text));
        }
    }
}

TEST_CASE("read_gzip_file: a truncated gzip file", "[data][gzip]") {
    TempDir dir;
    const auto path = dir / "file.gz";
    const ByteVector good = gzip_bytes(dir, noise(5'000, 11));

    SECTION("cut at every length (a short file), or every 37 bytes (a longer one)") {
        const ByteVector short_file = gzip_bytes(dir, to_bytes(sample_text));
        for (std::size_t length = 2; length < short_file.size(); ++length) {
            write_raw(path, ByteVector(short_file.begin(), short_file.begin() + static_cast<std::ptrdiff_t>(length)));
            INFO("cut to " << length << " of " << short_file.size() << " bytes");
            CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                                 MessageContains(path.string() + ": compressed byte " + std::to_string(length) +
                                                 ": truncated gzip file"));
        }
        for (std::size_t length = 2; length < good.size(); length += 37) {
            write_raw(path, ByteVector(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length)));
            INFO("cut to " << length << " of " << good.size() << " bytes");
            CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError,
                                 MessageContains(path.string() + ": compressed byte " + std::to_string(length) +
                                                 ": truncated gzip file"));
        }
    }
    SECTION("the second of two members cut short") {
        const ByteVector second = gzip_bytes(dir, noise(5'000, 12));
        write_raw(path, concatenate(good, ByteVector(second.begin(), second.end() - 4)));
        CHECK_THROWS_WITH(read_gzip_file(path), Contains("truncated gzip file"));
    }
}

TEST_CASE("read_gzip_file: data after the end of the gzip stream", "[data][gzip]") {
    TempDir dir;
    const auto path = dir / "file.gz";
    const ByteVector good = gzip_bytes(dir, to_bytes(sample_text));
    const std::string expected = path.string() + ": compressed byte " + std::to_string(good.size()) +
                                 ": unexpected data after the end of the gzip stream";
    for (const ByteVector& junk : {to_bytes("junk after the stream\n"), ByteVector{0}, ByteVector(512, 0),
                                   ByteVector{0x1f, 0x8b}}) {
        INFO(junk.size() << " bytes appended");
        write_raw(path, concatenate(good, junk));
        CHECK_THROWS_MATCHES(read_gzip_file(path), DataFormatError, MessageContains(expected));
    }
}
