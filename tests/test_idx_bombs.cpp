// IDX files that decompress to far more than they should (issue 9, item
// 11): a small gzip file whose IDX magic is wrong, followed by 1 GiB of
// zeros, used to be inflated completely (2.0 GB peak, 5.8 s) before the
// magic was checked. The loader checks the header from the first bytes of
// the stream and inflates no more than the header allows.
#include "data_files.hpp"
#include "heap.hpp"
#include "skip.hpp"

#include <fedpp/data/mnist.hpp>

#include <catch2/catch.hpp>

#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using Catch::Contains;
using fedpp::DataFormatError;
using fedpp::data::load_mnist;

namespace {

constexpr std::uint64_t mebibyte = std::uint64_t{1} << 20;

/// One gzip member holding `bytes` then `zeros` zero bytes, compressed by
/// streaming deflate a MiB at a time: the test never holds the zeros.
ByteVector gzip_member(const ByteVector& bytes, std::uint64_t zeros) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("gzip_member: deflateInit2 failed");
    }
    ByteVector out;
    std::vector<unsigned char> block(mebibyte, 0);
    std::vector<unsigned char> buffer(mebibyte);
    const auto feed = [&](const unsigned char* data, std::size_t size, int flush) {
        stream.next_in = const_cast<unsigned char*>(data); // zlib's API is not const-correct
        stream.avail_in = static_cast<uInt>(size);
        do {
            stream.next_out = buffer.data();
            stream.avail_out = static_cast<uInt>(buffer.size());
            deflate(&stream, flush);
            out.insert(out.end(), buffer.data(), stream.next_out);
        } while (stream.avail_out == 0);
    };
    feed(bytes.data(), bytes.size(), Z_NO_FLUSH);
    for (std::uint64_t left = zeros; left > 0; left -= std::min<std::uint64_t>(left, mebibyte)) {
        feed(block.data(), static_cast<std::size_t>(std::min<std::uint64_t>(left, mebibyte)), Z_NO_FLUSH);
    }
    feed(nullptr, 0, Z_FINISH);
    deflateEnd(&stream);
    return out;
}

/// A gzip file: `header`, then `zeros` zero bytes (at most 1 GiB), made of
/// a member with the header and the first 64 MiB of zeros followed by the
/// same 64 MiB member repeated (several members are one gzip file).
void write_bomb(const std::filesystem::path& path, const ByteVector& header, std::uint64_t zeros) {
    constexpr std::uint64_t part = 64 * mebibyte;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const ByteVector first = gzip_member(header, std::min(zeros, part));
    out.write(reinterpret_cast<const char*>(first.data()), static_cast<std::streamsize>(first.size()));
    if (zeros > part) {
        const ByteVector rest = gzip_member({}, part);
        for (std::uint64_t done = part; done < zeros; done += part) {
            out.write(reinterpret_cast<const char*>(rest.data()), static_cast<std::streamsize>(rest.size()));
        }
    }
    if (!out) {
        throw std::runtime_error("write_bomb: cannot write " + path.string());
    }
}

/// Runs `load` and checks that it fails with `message`, quickly and with
/// bounded growth of the peak resident set (skipped, visibly, where the
/// peak cannot be measured).
template <class Load>
void check_rejected_cheaply(Load load, const std::string& message) {
    const bool can_measure = reset_peak_rss();
    const std::size_t before = proc_status_bytes("VmRSS");
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_MATCHES(load(), DataFormatError, Catch::Message(message));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(seconds < 1.0); // inflating 1 GiB took 5.8 s
#if defined(FEDPP_TEST_ASAN)
    (void)can_measure;
    (void)before;
    FEDPP_SKIP("AddressSanitizer changes resident sizes, so the peak cannot be measured here");
#else
    if (!can_measure || before == 0) {
        FEDPP_SKIP("cannot reset the peak RSS here (/proc/self/clear_refs), so the peak cannot be measured");
    }
    const std::size_t peak = proc_status_bytes("VmHWM");
    INFO("peak resident set " << peak / mebibyte << " MiB, " << before / mebibyte << " MiB before");
    CHECK(peak < before + 16 * mebibyte); // inflating it all took 2.0 GB
#endif
}

} // namespace

TEST_CASE("an IDX file with a wrong magic and 1 GiB of zeros is rejected at byte 0, cheaply",
          "[data][mnist][memory]") {
    TempDir dir;
    const auto images = dir / "images.gz";
    const auto labels = dir / "labels.gz";
    write_gzip(images, idx_bytes(images_magic, {1, 2, 2}, {0, 0, 0, 0}));
    ByteVector wrong;
    append_big_endian(wrong, 0x12345678);
    write_bomb(labels, wrong, 1024 * mebibyte);
    REQUIRE(std::filesystem::file_size(labels) < 4 * mebibyte);
    check_rejected_cheaply([&] { return load_mnist(images, labels); },
                           labels.string() + ": byte 0: magic number 305419896 (0x12345678), expected 2049 "
                                             "(0x00000801) for an IDX label file");
}

TEST_CASE("an IDX file with a valid small header and 1 GiB of zeros after its data: bounded inflation",
          "[data][mnist][memory]") {
    TempDir dir;
    const auto images = dir / "images.gz";
    const auto labels = dir / "labels.gz";
    write_gzip(images, idx_bytes(images_magic, {3, 2, 2}, ByteVector(12, 0)));
    ByteVector header;
    append_big_endian(header, labels_magic);
    append_big_endian(header, 3); // three labels (zeros), then 1 GiB - 3 bytes too many
    write_bomb(labels, header, 1024 * mebibyte);
    check_rejected_cheaply([&] { return load_mnist(images, labels); },
                           labels.string() + ": byte 11: more than 65535 unexpected bytes after the last of the 3 "
                                             "labels the header announces");
}
