// fedpp: reading a whole gzip file into memory, for the data loaders.
//
// Needs zlib: link the CMake target fedpp::datasets (not fedpp::fedpp).
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

#include "fedpp/errors.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
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

private:
    z_stream stream_{};
};

/// The decompressed contents of the gzip file at `path`. DataFormatError,
/// naming the file and (for bad contents) the byte offset in the compressed
/// file, if the file cannot be opened or read, is not gzip, is corrupt or
/// truncated, or has data after its gzip stream. For corrupt data the offset
/// is where zlib noticed, which can be a few bytes past the damage (a wrong
/// CRC is noticed only at the end of the stream). Memory grows with the
/// data actually decompressed, never with a size the file merely claims.
inline std::vector<unsigned char> read_gzip_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    errno = 0;
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        throw DataFormatError(name + ": cannot open the file: " + std::strerror(errno));
    }

    GzipInflater inflater(name);
    z_stream& stream = inflater.stream();
    std::vector<unsigned char> out;
    // On the heap: 128 KiB is too much stack for a library to take from a
    // thread that may have little.
    std::vector<unsigned char> input(std::size_t{1} << 16);
    std::vector<unsigned char> output(std::size_t{1} << 16);

    std::uint64_t file_offset = 0;   // compressed bytes read before `input`
    std::uint64_t member_start = 0;  // compressed offset where the current member began
    bool in_member = true;           // inside a gzip member (false after its trailer)
    bool member_produced = false;    // the current member has decoded bytes
    bool first_read = true;

    // A member that fails before producing anything, after a complete
    // member, is junk appended to a valid file rather than a damaged stream:
    // say so, rather than blaming zlib's "incorrect header check".
    const auto trailing_data_error = [&](std::uint64_t at) {
        return DataFormatError(name + ": compressed byte " + std::to_string(member_start) +
                               ": unexpected data after the end of the gzip stream (it is not another complete "
                               "gzip member; found at byte " +
                               std::to_string(at) + ")");
    };

    while (true) {
        errno = 0;
        const std::size_t got = std::fread(input.data(), 1, input.size(), file.get());
        if (std::ferror(file.get()) != 0) {
            throw DataFormatError(name + ": cannot read the file after byte " + std::to_string(file_offset) + ": " +
                                  std::strerror(errno));
        }
        if (got == 0) {
            break; // end of file
        }
        if (first_read) {
            first_read = false;
            // Checked here for a clear message; inflate would say only
            // "incorrect header check".
            if (got < 2 || input[0] != 0x1f || input[1] != 0x8b) {
                throw DataFormatError(name + ": compressed byte 0: not a gzip file (a gzip file starts with the "
                                             "bytes 1f 8b)");
            }
        }
        stream.next_in = input.data();
        stream.avail_in = static_cast<uInt>(got);
        // Until this chunk is used up and inflate has no output left to give
        // (a full output buffer means there may be more).
        do {
            const auto offset_now = [&] { return file_offset + (got - stream.avail_in); };
            if (!in_member) {
                if (stream.avail_in == 0) {
                    break;
                }
                inflateReset(&stream); // another member follows
                in_member = true;
                member_produced = false;
                member_start = offset_now();
            }
            stream.next_out = output.data();
            stream.avail_out = static_cast<uInt>(output.size());
            const int status = inflate(&stream, Z_NO_FLUSH);
            if (status == Z_MEM_ERROR) {
                throw std::bad_alloc(); // not the file's fault
            }
            if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
                if (member_start != 0 && !member_produced) {
                    throw trailing_data_error(offset_now());
                }
                throw DataFormatError(name + ": compressed byte " + std::to_string(offset_now()) +
                                      ": corrupt gzip data (zlib: " +
                                      (stream.msg != nullptr ? stream.msg : "error " + std::to_string(status)) +
                                      ")");
            }
            const std::size_t produced = output.size() - stream.avail_out;
            if (produced != 0) {
                out.insert(out.end(), output.begin(), output.begin() + static_cast<std::ptrdiff_t>(produced));
                member_produced = true;
            }
            if (status == Z_STREAM_END) {
                in_member = false;
            }
            // Z_BUF_ERROR: no progress without more input; read the next chunk.
            if (status == Z_BUF_ERROR) {
                break;
            }
        } while (stream.avail_in > 0 || stream.avail_out == 0);
        file_offset += got;
    }

    if (first_read) {
        throw DataFormatError(name + ": the file is empty, not a gzip file");
    }
    if (in_member) {
        if (member_start != 0 && !member_produced) {
            throw trailing_data_error(file_offset);
        }
        throw DataFormatError(name + ": compressed byte " + std::to_string(file_offset) +
                              ": truncated gzip file: it ends before its compressed stream does (" +
                              std::to_string(out.size()) + " bytes decompressed so far)");
    }
    return out;
}

} // namespace fedpp::detail
