// fedpp::io: raw deflate streams (RFC 1951, no zlib or gzip wrapper), the
// compression of zip members, through zlib.
//
// inflate_raw is given the size the zip directory announces and checks it:
// the output buffer grows with what the stream actually produces (never
// beyond the announced size plus one byte), so a forged size cannot make it
// allocate more than the data yields.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/io/errors.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace fedpp::io::detail {

/// Ends a zlib stream when it goes out of scope.
template <int (*End)(z_streamp)>
struct ZStreamGuard {
    z_stream* stream;
    ~ZStreamGuard() { End(stream); }
};

inline constexpr std::size_t zlib_chunk = std::size_t{1} << 30; // zlib counts in uInt

/// The bytes of the raw deflate stream `in`, which must decompress to
/// exactly `expected` bytes and end exactly at the end of `in`. ZipError
/// otherwise (corrupt, cut short, longer or shorter than announced), at
/// file position `at` in `where`, the message starting with `member`.
inline Bytes inflate_raw(std::span<const std::byte> in, std::uint64_t expected, const std::string& where,
                         std::size_t at, const std::string& member) {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
        throw ZipError(where, at, member + "zlib cannot start inflating");
    }
    const ZStreamGuard<inflateEnd> guard{&stream};
    // One byte more than announced, to see a stream that is longer.
    const std::uint64_t cap = expected + 1;
    Bytes out(static_cast<std::size_t>(std::min<std::uint64_t>(cap, in.size() * std::uint64_t{4} + 64)));
    std::size_t fed = 0;
    for (;;) {
        if (stream.avail_in == 0 && fed < in.size()) {
            const std::size_t n = std::min(zlib_chunk, in.size() - fed);
            stream.next_in =
                reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + fed)); // zlib is not const-correct
            stream.avail_in = static_cast<uInt>(n);
            fed += n;
        }
        if (stream.total_out == out.size()) {
            if (out.size() >= cap) {
                throw ZipError(where, at,
                               member + "the deflate data inflates to more than the " + std::to_string(expected) +
                                   " bytes the zip directory announces");
            }
            out.resize(
                static_cast<std::size_t>(std::min<std::uint64_t>(cap, std::max<std::size_t>(out.size() * 2, 4096))));
        }
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
        stream.avail_out =
            static_cast<uInt>(std::min(zlib_chunk, out.size() - static_cast<std::size_t>(stream.total_out)));
        const int status = inflate(&stream, Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            break;
        }
        if (status == Z_BUF_ERROR && stream.avail_out > 0) {
            throw ZipError(where, at, member + "the deflate data is cut short (truncated)");
        }
        if (status != Z_OK && status != Z_BUF_ERROR) {
            throw ZipError(where, at, member + "corrupt deflate data: " + (stream.msg ? stream.msg : "zlib error"));
        }
    }
    if (stream.total_out != expected) {
        throw ZipError(where, at,
                       member + "the deflate data inflates to " + std::to_string(stream.total_out) +
                           " bytes, the zip directory announces " + std::to_string(expected));
    }
    if (stream.avail_in != 0 || fed != in.size()) {
        throw ZipError(where, at,
                       member + std::to_string(stream.avail_in + (in.size() - fed)) +
                           " bytes follow the end of the deflate data");
    }
    out.resize(static_cast<std::size_t>(stream.total_out));
    return out;
}

/// `in` as a raw deflate stream (zlib's default level).
inline Bytes deflate_raw(std::span<const std::byte> in) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw ArgumentError("zlib cannot start deflating");
    }
    const ZStreamGuard<deflateEnd> guard{&stream};
    Bytes out(in.size() / 2 + 64);
    std::size_t fed = 0;
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        if (stream.avail_in == 0 && fed < in.size()) {
            const std::size_t n = std::min(zlib_chunk, in.size() - fed);
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + fed));
            stream.avail_in = static_cast<uInt>(n);
            fed += n;
        }
        if (stream.total_out == out.size()) {
            out.resize(out.size() * 2);
        }
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
        stream.avail_out =
            static_cast<uInt>(std::min(zlib_chunk, out.size() - static_cast<std::size_t>(stream.total_out)));
        status = deflate(&stream, fed == in.size() ? Z_FINISH : Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            throw ArgumentError("zlib failed to deflate");
        }
    }
    out.resize(static_cast<std::size_t>(stream.total_out));
    return out;
}

} // namespace fedpp::io::detail
