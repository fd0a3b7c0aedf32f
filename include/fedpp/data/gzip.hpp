// fedpp: reading gzip files, for the data loaders, as a stream: a loader
// checks a file's header from its first bytes and inflates no more than the
// header allows, so a small file that claims (or holds) gigabytes is
// rejected without them being produced.
//
// zlib's gz* file API would be shorter, but it silently reads a file that is
// not gzip as plain bytes ("transparent" mode) and ignores whatever follows
// the first gzip stream. A data loader must not guess, so this reader drives
// inflate() itself and rejects, with the compressed byte offset, a file that
// does not start with the gzip magic bytes, a corrupt stream (including a
// wrong CRC or length in the trailer), a file that ends before its stream
// does, and data after the end of the stream. Several gzip members one after
// another (what `cat a.gz b.gz` makes) are one valid file, as for gunzip.
#pragma once

#include "fedpp/base/errors.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

/// Owns a z_stream set up for gzip decoding; inflateEnd on every way out.
class GzipInflater {
public:
    explicit GzipInflater(const std::string& name) {
        // 15 + 16: the largest window, and a gzip header and trailer only (no
        // raw deflate, no zlib header, no automatic detection).
        if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
            throw DataFormatError(name + ": cannot start the gzip decoder (zlib: " +
                                  (stream_.msg != nullptr ? stream_.msg : "out of memory") + ")");
        }
    }
    ~GzipInflater() { inflateEnd(&stream_); }
    GzipInflater(const GzipInflater&) = delete;
    GzipInflater& operator=(const GzipInflater&) = delete;

    z_stream& stream() noexcept { return stream_; }
    const z_stream& stream() const noexcept { return stream_; }

private:
    z_stream stream_{};
};

/// The decompressed bytes of a gzip file, read in order. DataFormatError,
/// naming the file and (for bad contents) the byte offset in the compressed
/// file, if the file cannot be opened or read, is not gzip, is corrupt or
/// truncated, or has data after its gzip stream. For corrupt data the offset
/// is where zlib noticed, which can be a few bytes past the damage (a wrong
/// CRC is noticed only at the end of the stream).
class GzipStream {
public:
    explicit GzipStream(const std::filesystem::path& path)
        : name_(path.string()), file_(open(path, name_)), inflater_(name_), input_(std::size_t{1} << 16) {}

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// Decompressed bytes delivered so far.
    [[nodiscard]] std::uint64_t position() const noexcept { return produced_; }

    /// Fills `out` with the next decompressed bytes and returns how many: all
    /// of out.size(), unless the data ends first (0 at the end).
    std::size_t read(std::span<unsigned char> out) {
        std::size_t filled = 0;
        while (filled < out.size() && !finished_) {
            z_stream& stream = inflater_.stream();
            if (stream.avail_in == 0 && !fill_input()) {
                finish();
                break;
            }
            if (!in_member_ && !start_member()) {
                continue;
            }
            filled += inflate_into(out.subspan(filled));
        }
        produced_ += filled;
        return filled;
    }

private:
    static std::unique_ptr<std::FILE, FileCloser> open(const std::filesystem::path& path, const std::string& name) {
        errno = 0;
        std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
        if (!file) {
            throw DataFormatError(name + ": cannot open the file: " + std::strerror(errno));
        }
        return file;
    }

    /// The compressed offset of the next input byte.
    [[nodiscard]] std::uint64_t offset_now() const noexcept {
        return file_offset_ - inflater_.stream().avail_in;
    }

    /// Reads the next chunk of the file; false at its end.
    bool fill_input() {
        errno = 0;
        const std::size_t got = std::fread(input_.data(), 1, input_.size(), file_.get());
        if (std::ferror(file_.get()) != 0) {
            throw DataFormatError(name_ + ": cannot read the file after byte " + std::to_string(file_offset_) +
                                  ": " + std::strerror(errno));
        }
        if (got == 0) {
            return false;
        }
        if (file_offset_ == 0 && (got < 2 || input_[0] != 0x1f || input_[1] != 0x8b)) {
            // Checked here for a clear message; inflate would say only
            // "incorrect header check".
            throw DataFormatError(name_ + ": compressed byte 0: not a gzip file (a gzip file starts with the "
                                          "bytes 1f 8b)");
        }
        file_offset_ += got;
        inflater_.stream().next_in = input_.data();
        inflater_.stream().avail_in = static_cast<uInt>(got);
        return true;
    }

    /// After a complete member: another one follows (true), or only the
    /// rest of this chunk is left to look at (false, nothing to start).
    bool start_member() {
        if (inflater_.stream().avail_in == 0) {
            return false;
        }
        inflateReset(&inflater_.stream());
        in_member_ = true;
        member_produced_ = false;
        member_start_ = offset_now();
        return true;
    }

    /// One inflate() call into `out`; returns the bytes it produced.
    std::size_t inflate_into(std::span<unsigned char> out) {
        z_stream& stream = inflater_.stream();
        stream.next_out = out.data();
        stream.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size(), 1u << 30));
        const uInt room = stream.avail_out;
        const int status = inflate(&stream, Z_NO_FLUSH);
        if (status == Z_MEM_ERROR) {
            throw std::bad_alloc(); // not the file's fault
        }
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            if (member_start_ != 0 && !member_produced_) {
                throw trailing_data_error(offset_now());
            }
            throw DataFormatError(name_ + ": compressed byte " + std::to_string(offset_now()) +
                                  ": corrupt gzip data (zlib: " +
                                  (stream.msg != nullptr ? stream.msg : "error " + std::to_string(status)) + ")");
        }
        const std::size_t produced = room - stream.avail_out;
        member_produced_ = member_produced_ || produced != 0;
        if (status == Z_STREAM_END) {
            in_member_ = false;
        }
        return produced;
    }

    /// At the end of the file: the last member must be complete.
    void finish() {
        finished_ = true;
        if (file_offset_ == 0) {
            throw DataFormatError(name_ + ": the file is empty, not a gzip file");
        }
        if (in_member_) {
            if (member_start_ != 0 && !member_produced_) {
                throw trailing_data_error(file_offset_);
            }
            throw DataFormatError(name_ + ": compressed byte " + std::to_string(file_offset_) +
                                  ": truncated gzip file: it ends before its compressed stream does (" +
                                  std::to_string(produced_) + " bytes decompressed so far)");
        }
    }

    // A member that fails before producing anything, after a complete
    // member, is junk appended to a valid file rather than a damaged stream:
    // say so, rather than blaming zlib's "incorrect header check".
    [[nodiscard]] DataFormatError trailing_data_error(std::uint64_t at) const {
        return DataFormatError(name_ + ": compressed byte " + std::to_string(member_start_) +
                               ": unexpected data after the end of the gzip stream (it is not another complete "
                               "gzip member; found at byte " +
                               std::to_string(at) + ")");
    }

    std::string name_;
    std::unique_ptr<std::FILE, FileCloser> file_;
    GzipInflater inflater_;
    // On the heap: 64 KiB is too much stack for a library to take from a
    // thread that may have little.
    std::vector<unsigned char> input_;
    std::uint64_t file_offset_ = 0;  // compressed bytes read so far
    std::uint64_t member_start_ = 0; // compressed offset where the current member began
    std::uint64_t produced_ = 0;     // decompressed bytes delivered
    bool in_member_ = true;          // inside a gzip member (false after its trailer)
    bool member_produced_ = false;   // the current member has decoded bytes
    bool finished_ = false;
};

/// The whole decompressed contents of the gzip file at `path` (errors as
/// GzipStream). Memory grows with the data actually decompressed, never
/// with a size the file merely claims.
inline std::vector<unsigned char> read_gzip_file(const std::filesystem::path& path) {
    GzipStream stream(path);
    std::vector<unsigned char> out;
    std::vector<unsigned char> chunk(std::size_t{1} << 16);
    while (const std::size_t got = stream.read(chunk)) {
        out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    }
    return out;
}

} // namespace fedpp::detail
