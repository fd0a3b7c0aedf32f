// Helpers for the data loader tests: a temporary directory that cleans up
// after itself, and files written at run time (gzip through zlib's gz* API,
// or raw bytes), so that malformed inputs need not be committed.
#pragma once

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#ifndef FEDPP_DATA_DIR
#error "FEDPP_DATA_DIR must name the repository's data directory (tests/CMakeLists.txt defines it)"
#endif

using ByteVector = std::vector<unsigned char>;

/// Matches an exception whose what() contains `part`; with
/// CHECK_THROWS_MATCHES it checks the type and the message at once.
class MessageContains : public Catch::MatcherBase<std::exception> {
public:
    explicit MessageContains(std::string part) : part_(std::move(part)) {}
    bool match(const std::exception& error) const override {
        return std::string_view(error.what()).find(part_) != std::string_view::npos;
    }
    std::string describe() const override { return "has a message containing \"" + part_ + "\""; }

private:
    std::string part_;
};

/// The IDX magic numbers of MNIST's image and label files.
constexpr std::uint32_t images_magic = 2051;
constexpr std::uint32_t labels_magic = 2049;

/// How many of `labels` are 0, 1, ..., 9.
inline std::array<int, 10> label_histogram(const std::vector<std::int32_t>& labels) {
    std::array<int, 10> counts{};
    for (const std::int32_t label : labels) {
        ++counts.at(static_cast<std::size_t>(label));
    }
    return counts;
}

/// The repository's data directory (data/).
inline std::filesystem::path data_dir() { return std::filesystem::path(FEDPP_DATA_DIR); }

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when the object goes. mkdtemp makes the name unique, so
/// test processes running in parallel do not collide.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "fedpp-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("TempDir: mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    /// The path of file `name` in the directory, as a string.
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline ByteVector to_bytes(std::string_view text) { return ByteVector(text.begin(), text.end()); }

/// Writes `bytes` as they are.
inline void write_raw(const std::filesystem::path& path, const ByteVector& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        throw std::runtime_error("write_raw: cannot write " + path.string());
    }
}

/// Reads a whole file as bytes.
inline ByteVector read_raw(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("read_raw: cannot open " + path.string());
    }
    return ByteVector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes `bytes` gzip-compressed, with zlib's own gzip writer (an
/// independent check of our reader, which uses inflate directly).
inline void write_gzip(const std::filesystem::path& path, const ByteVector& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (file == nullptr) {
        throw std::runtime_error("write_gzip: cannot open " + path.string());
    }
    // gzwrite takes an unsigned count; write in pieces so any size works.
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto piece = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - written, 1u << 20));
        if (gzwrite(file, bytes.data() + written, piece) != static_cast<int>(piece)) {
            gzclose(file);
            throw std::runtime_error("write_gzip: cannot write " + path.string());
        }
        written += piece;
    }
    if (gzclose(file) != Z_OK) {
        throw std::runtime_error("write_gzip: cannot close " + path.string());
    }
}

inline void write_gzip(const std::filesystem::path& path, std::string_view text) { write_gzip(path, to_bytes(text)); }

/// `bytes` gzip-compressed, in memory (through a file, with write_gzip).
inline ByteVector gzip_bytes(const TempDir& dir, const ByteVector& bytes) {
    const auto path = dir / "gzip_bytes.tmp.gz";
    write_gzip(path, bytes);
    ByteVector compressed = read_raw(path);
    std::filesystem::remove(path);
    return compressed;
}

/// Appends a big-endian 32-bit integer.
inline void append_big_endian(ByteVector& bytes, std::uint32_t value) {
    bytes.push_back(static_cast<unsigned char>(value >> 24));
    bytes.push_back(static_cast<unsigned char>(value >> 16));
    bytes.push_back(static_cast<unsigned char>(value >> 8));
    bytes.push_back(static_cast<unsigned char>(value));
}

/// An IDX file: the magic, the sizes, then `payload`, uncompressed.
inline ByteVector idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& sizes, const ByteVector& payload) {
    ByteVector bytes;
    append_big_endian(bytes, magic);
    for (const std::uint32_t size : sizes) {
        append_big_endian(bytes, size);
    }
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}
