// Helpers for the data-reader fuzz targets: fuzz inputs as files the public
// loaders can open (an anonymous in-memory file, no disk), and gzip
// compression so that inputs can reach the parsers behind gzip's checksum.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

namespace fuzzing {

/// An anonymous in-memory file holding some bytes; path() opens it.
class MemoryFile {
public:
    explicit MemoryFile(std::span<const std::uint8_t> bytes) : fd_(::memfd_create("fedpp-fuzz", MFD_CLOEXEC)) {
        if (fd_ < 0) {
            throw std::runtime_error("memfd_create failed");
        }
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            if (n <= 0) {
                throw std::runtime_error("write to memfd failed");
            }
            done += static_cast<std::size_t>(n);
        }
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_;
};

/// `bytes` as a gzip file (one member).
inline std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> bytes) {
    z_stream stream{};
    // 15 + 16: gzip wrapper.
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::vector<std::uint8_t> out(deflateBound(&stream, static_cast<uLong>(bytes.size())) + 32);
    stream.next_in = const_cast<Bytef*>(bytes.data()); // zlib's API is not const-correct
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) {
        throw std::runtime_error("deflate failed");
    }
    return out;
}

/// The file contents to test for `input`: its first byte picks the mode,
/// 0 (even): the rest is the file, gzip framing and all, as is;
/// 1 (odd): the rest is the decompressed contents, gzipped here.
inline std::vector<std::uint8_t> file_for(std::span<const std::uint8_t> input) {
    if (input.empty()) {
        return {};
    }
    const auto rest = input.subspan(1);
    if (input[0] % 2 == 0) {
        return {rest.begin(), rest.end()};
    }
    return gzip(rest);
}

} // namespace fuzzing
