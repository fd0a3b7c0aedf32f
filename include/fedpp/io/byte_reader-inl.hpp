// fedpp: ByteReader's definitions (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/io/byte_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace fedpp {

FEDPP_INLINE std::size_t ByteReader::read_size(const char* what) {
    const std::size_t at = position();
    const auto size = read<std::uint64_t>();
    if (size > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
        fail(std::string(what) + " is " + std::to_string(size) + ", more than any size can be (" +
                 std::to_string(std::numeric_limits<std::ptrdiff_t>::max()) + ")",
             at);
    }
    return static_cast<std::size_t>(size);
}

FEDPP_INLINE std::string_view ByteReader::read_string_view(std::size_t max_length) {
    const std::size_t at = position();
    const std::size_t length = read_size("a string length");
    if (length > max_length) {
        fail("a string of " + std::to_string(length) + " bytes, longer than the " + std::to_string(max_length) +
                 " expected",
             at);
    }
    check_count(length, 1, "a string length", at);
    receive(length); // (in one window)
    const std::string_view text(reinterpret_cast<const char*>(bytes_.data()) + at_, length);
    at_ += length;
    return text;
}

FEDPP_INLINE const std::string& ByteReader::what() const noexcept {
    if (lazy_what_) {
        try {
            what_ = (*lazy_what_)();
        } catch (...) { // NOLINT(bugprone-empty-catch): an empty name is the documented fallback
        }
        lazy_what_.reset();
    }
    return what_;
}

FEDPP_INLINE void ByteReader::expect_end() {
    if (remaining() != 0) {
        fail(std::to_string(remaining()) + " unexpected bytes after the value", position());
    }
    if (next_chunk_ && at_ == bytes_.size()) {
        next_window(); // fails if the input goes on
    }
}

FEDPP_INLINE void ByteReader::fail(const std::string& message, std::size_t at) const {
    throw SerializationError(what() + ": byte " + std::to_string(at) + ": " + message);
}

FEDPP_INLINE void ByteReader::check_count(std::size_t count, std::size_t min_bytes_each, const char* what,
                                          std::size_t at) const {
    if (min_bytes_each > 0 && count > remaining() / min_bytes_each) {
        fail(std::string(what) + " is " + std::to_string(count) + " but only " + std::to_string(remaining()) +
                 " bytes remain",
             at);
    }
}

FEDPP_INLINE void ByteReader::copy_out(void* destination, std::size_t count) {
    auto* out = static_cast<std::byte*>(destination);
    while (count != 0) {
        if (at_ == bytes_.size()) {
            next_window();
            if (bytes_.empty()) { // (callers check that the bytes remain: never here)
                fail("truncated: the input ended", position());
            }
        }
        const std::size_t n = std::min(count, bytes_.size() - at_);
        std::memcpy(out, bytes_.data() + at_, n);
        at_ += n;
        out += n;
        count -= n;
    }
}

FEDPP_INLINE void ByteReader::next_window() {
    if (!gathered_.empty()) { // read to its end: let go of it
        Bytes().swap(gathered_);
    }
    const std::size_t consumed = position();
    std::span<const std::byte> chunk;
    if (!pull(chunk)) {
        chunk = {};
    }
    bytes_ = chunk;
    window_start_ = consumed;
    at_ = 0;
}

FEDPP_INLINE bool ByteReader::pull(std::span<const std::byte>& chunk) {
    const std::size_t received = window_start_ + bytes_.size();
    do {
        if (!next_chunk_ || !(*next_chunk_)(chunk)) {
            if (received == total_) {
                return false;
            }
            fail("truncated: the input ended after " + std::to_string(received) + " of its " +
                     std::to_string(total_) + " bytes",
                 received);
        }
    } while (chunk.empty());
    if (chunk.size() > total_ - received) {
        fail("the input goes on past its announced " + std::to_string(total_) + " bytes", received);
    }
    return true;
}

FEDPP_INLINE void ByteReader::receive(std::size_t count) {
    if (count <= bytes_.size() - at_) {
        return;
    }
    Bytes gathered; // no more than 64 MiB before that much has arrived
    gathered.reserve(std::min(count, std::size_t{64} << 20));
    gathered.insert(gathered.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(at_), bytes_.end());
    const std::size_t start = position();
    std::span<const std::byte> chunk;
    while (gathered.size() < count && pull(chunk)) {
        if (gathered.size() >= (std::size_t{64} << 20) && gathered.capacity() < count) {
            gathered.reserve(count); // once 64 MiB have arrived, all at once (no copies as it grows)
        }
        gathered.insert(gathered.end(), chunk.begin(), chunk.end());
        bytes_ = {}; // (for pull: what was received is now in `gathered`)
        window_start_ = start + gathered.size();
    }
    gathered_.swap(gathered); // (the old buffer may be the window being copied from until here)
    bytes_ = gathered_;
    window_start_ = start;
    at_ = 0;
}

} // namespace fedpp
