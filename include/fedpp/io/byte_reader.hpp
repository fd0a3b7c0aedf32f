// fedpp: the bounds-checked reader every codec uses, of whole bytes or of
// chunks as they arrive.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/io/byte_writer.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace fedpp {

/// Reads what ByteWriter wrote. Every read checks that enough bytes remain
/// and throws SerializationError naming the input and the byte offset
/// otherwise; nothing is read past the end.
class ByteReader {
public:
    /// `what` names the input in error messages (a file name, "message from bob").
    ByteReader(std::span<const std::byte> bytes, std::string what) noexcept
        : bytes_(bytes), total_(bytes.size()), what_(std::move(what)) {}

    /// The same, with the name built only if an error message (or what())
    /// needs it; `what` refers to a callable that must outlive the reader.
    ByteReader(std::span<const std::byte> bytes, detail::LazyText what) noexcept
        : bytes_(bytes), total_(bytes.size()), lazy_what_(what) {}

    /// Where the bytes of a chunked input come from: each call sets `chunk`
    /// to the next piece and returns true, or returns false at the end of
    /// the input. A chunk's bytes need to stay valid only until the next call.
    using ChunkSource = detail::FunctionRef<bool(std::span<const std::byte>& chunk)>;

    /// Reads an input of `total_bytes` (announced by its sender) that
    /// arrives in chunks from `next_chunk`, as it arrives: a value is decoded
    /// straight from a network stream, with no buffer of its whole encoding.
    /// Reads behave as over the whole input at once; an input that ends
    /// early is truncated, one that goes on past `total_bytes` is refused.
    /// `next_chunk` and `what` must outlive the reader.
    ByteReader(std::uint64_t total_bytes, ChunkSource next_chunk, detail::LazyText what) noexcept
        : total_(static_cast<std::size_t>(std::min<std::uint64_t>(total_bytes, SIZE_MAX))), lazy_what_(what),
          next_chunk_(next_chunk) {}

    ByteReader(const ByteReader&) = delete; // (a copy would read the original's chunks and buffer)
    ByteReader& operator=(const ByteReader&) = delete;

    template <class U>
        requires detail::ExactlyEncodable<U>
    U read() {
        if constexpr (std::is_same_v<U, bool>) {
            const auto byte = read<std::uint8_t>();
            if (byte > 1) {
                fail("a boolean byte is " + std::to_string(byte) + ", not 0 or 1", position() - 1);
            }
            return byte == 1;
        } else if constexpr (std::is_floating_point_v<U>) {
            using Bits = std::conditional_t<sizeof(U) == 4, std::uint32_t, std::uint64_t>;
            return std::bit_cast<U>(read<Bits>());
        } else {
            require(sizeof(U), [] { return "a " + std::to_string(sizeof(U)) + "-byte integer"; });
            const std::byte* bytes = bytes_.data() + at_;
            std::byte straddling[sizeof(U)];
            if (sizeof(U) > bytes_.size() - at_) { // across chunks
                copy_out(straddling, sizeof(U));
                bytes = straddling;
            } else {
                at_ += sizeof(U);
            }
            std::uint64_t bits = 0;
            for (std::size_t i = 0; i < sizeof(U); ++i) {
                bits |= std::to_integer<std::uint64_t>(bytes[i]) << (8 * i);
            }
            return static_cast<U>(static_cast<std::make_unsigned_t<U>>(bits));
        }
    }

    template <class U>
        requires detail::ExactlyEncodable<U> && (!std::is_same_v<U, bool>)
    void read_array(U* values, std::size_t count) {
        if (count > remaining() / sizeof(U)) {
            fail("needs " + std::to_string(count) + " values of " + std::to_string(sizeof(U)) + " bytes but only " +
                     std::to_string(remaining()) + " bytes remain",
                 position());
        }
        if constexpr (std::endian::native == std::endian::little) {
            copy_out(values, count * sizeof(U));
        } else {
            for (std::size_t i = 0; i < count; ++i) {
                values[i] = read<U>();
            }
        }
    }

    /// A size (a u64) read from the input: rejected unless it fits
    /// std::ptrdiff_t (fedpp::Index), so that no forged size turns negative.
    std::size_t read_size(const char* what);

    /// A count read from the input that sizes an allocation: a size
    /// (read_size), rejected if even `min_bytes_each` bytes per element
    /// cannot remain, so corrupt input cannot ask for gigabytes. Of a
    /// chunked input, whose remaining size is only announced, those bytes
    /// are received first: a sender cannot make the reader allocate more
    /// than it sent.
    std::size_t read_count(std::size_t min_bytes_each, const char* what) {
        const std::size_t at = position();
        const auto count = read_size(what);
        check_count(count, min_bytes_each, what, at);
        receive(count * min_bytes_each);
        return static_cast<std::size_t>(count);
    }

    std::string read_string() { return std::string(read_string_view()); }

    /// The next string, as a view of the input bytes (valid as long as they
    /// are; for a chunked input, until the next read): read_string() without
    /// the copy. SerializationError for one of more than `max_length` bytes
    /// (checked before a chunked input's are received).
    std::string_view read_string_view(std::size_t max_length = std::numeric_limits<std::size_t>::max());

    /// How many bytes were read.
    [[nodiscard]] std::size_t position() const noexcept { return window_start_ + at_; }
    /// How many bytes remain of the input (announced ones, for a chunked input).
    [[nodiscard]] std::size_t remaining() const noexcept { return total_ - position(); }
    /// The input's name. Should building a lazy name fail (out of memory),
    /// it is left empty rather than throwing from here.
    [[nodiscard]] const std::string& what() const noexcept;

    /// SerializationError unless every byte was read (and, for a chunked
    /// input, no chunk follows with more).
    void expect_end();

    [[noreturn]] void fail(const std::string& message, std::size_t at) const;

private:
    /// Refuses a count of which not even `min_bytes_each` bytes per element remain.
    void check_count(std::size_t count, std::size_t min_bytes_each, const char* what, std::size_t at) const;

    /// `describe_item()` names what was being read; it is called only on
    /// failure, so that a successful read builds no string.
    template <class DescribeItem>
    void require(std::size_t count, const DescribeItem& describe_item) const {
        if (count > remaining()) {
            fail("truncated: " + describe_item() + " needs " + std::to_string(count) + " bytes, " +
                     std::to_string(remaining()) + " remain",
                 position());
        }
    }

    /// Copies the next `count` bytes (which remain: checked by the caller)
    /// to `destination`, from as many chunks as they span.
    void copy_out(void* destination, std::size_t count);

    /// Moves on to the next non-empty chunk of a chunked input (at the end
    /// of the current one).
    void next_window();

    /// The next non-empty chunk of a chunked input, or false at its end:
    /// refuses an input that ends before its announced size, or goes on
    /// past it.
    bool pull(std::span<const std::byte>& chunk);

    /// Makes the next `count` bytes (which remain: checked by the caller)
    /// one window: of a chunked input, received into a buffer of the
    /// reader's if they span chunks.
    void receive(std::size_t count);

    std::span<const std::byte> bytes_; // the input (a chunked input's current chunk)
    std::size_t window_start_ = 0;     // where bytes_ starts in the input
    std::size_t at_ = 0;               // the read position in bytes_
    std::size_t total_ = 0;            // the input's size
    mutable std::string what_;
    mutable std::optional<detail::LazyText> lazy_what_; // builds what_ on first use
    std::optional<ChunkSource> next_chunk_;             // for a chunked input
    Bytes gathered_;                                    // a chunked input's bytes that receive() joined
};

} // namespace fedpp

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/io/byte_reader-inl.hpp"
#endif
