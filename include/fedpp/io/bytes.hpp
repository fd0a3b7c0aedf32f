// fedpp: bytes, and the little-endian writer and bounds-checked reader every
// codec uses.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp {

using Bytes = std::vector<std::byte>;

namespace detail {
/// The arithmetic types with an exact little-endian encoding: bool, the
/// integer types of up to 8 bytes, float and double. Not __int128 or long
/// double (under GNU extensions arithmetic too): no silent truncation.
template <class U>
concept ExactlyEncodable = std::is_same_v<U, bool> || std::is_same_v<U, float> || std::is_same_v<U, double> ||
                           (std::is_integral_v<U> && sizeof(U) <= sizeof(std::uint64_t));
} // namespace detail

/// Appends little-endian values to a byte buffer.
class ByteWriter {
public:
    explicit ByteWriter(Bytes& out) noexcept : out_(&out) {}

    /// A writer that writes nothing and only counts (size()) the bytes it
    /// would have written: to_bytes sizes its buffer with it, so that a
    /// large value is copied once instead of once per doubling.
    struct MeasureOnly {};
    explicit ByteWriter(MeasureOnly) noexcept : out_(nullptr) {}

    template <class U>
        requires detail::ExactlyEncodable<U>
    void write(U value) {
        if constexpr (std::is_same_v<U, bool>) {
            write<std::uint8_t>(value ? 1 : 0);
        } else if constexpr (std::is_floating_point_v<U>) {
            using Bits = std::conditional_t<sizeof(U) == 4, std::uint32_t, std::uint64_t>;
            static_assert(sizeof(U) == sizeof(Bits), "fedpp::ByteWriter: only 32- and 64-bit floating point");
            write<Bits>(std::bit_cast<Bits>(value));
        } else {
            auto bits = static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<U>>(value));
            std::byte buffer[sizeof(U)];
            for (std::size_t i = 0; i < sizeof(U); ++i) {
                buffer[i] = static_cast<std::byte>(bits & 0xFFu);
                bits >>= 8;
            }
            append(buffer, sizeof(U));
        }
    }

    /// A run of arithmetic values, bulk-copied when the host is little-endian.
    template <class U>
        requires detail::ExactlyEncodable<U> && (!std::is_same_v<U, bool>)
    void write_array(const U* values, std::size_t count) {
        if constexpr (std::endian::native == std::endian::little) {
            append(values, count * sizeof(U));
        } else {
            for (std::size_t i = 0; i < count; ++i) {
                write(values[i]);
            }
        }
    }

    void write_string(std::string_view text) {
        write<std::uint64_t>(text.size());
        append(text.data(), text.size());
    }

    void write_bytes(std::span<const std::byte> bytes) { append(bytes.data(), bytes.size()); }

    [[nodiscard]] std::size_t size() const noexcept { return out_ != nullptr ? out_->size() : measured_; }

private:
    void append(const void* data, std::size_t count) {
        if (out_ == nullptr) {
            measured_ += count;
            return;
        }
        const auto* first = static_cast<const std::byte*>(data);
        out_->insert(out_->end(), first, first + count);
    }

    Bytes* out_;
    std::size_t measured_ = 0;
};

/// Reads what ByteWriter wrote. Every read checks that enough bytes remain
/// and throws SerializationError naming the input and the byte offset
/// otherwise; nothing is read past the end.
class ByteReader {
public:
    /// `what` names the input in error messages (a file name, "message from bob").
    ByteReader(std::span<const std::byte> bytes, std::string what) noexcept
        : bytes_(bytes), what_(std::move(what)) {}

    /// The same, with the name built only if an error message (or what())
    /// needs it; `what` refers to a callable that must outlive the reader.
    ByteReader(std::span<const std::byte> bytes, detail::LazyText what) noexcept
        : bytes_(bytes), lazy_what_(what) {}

    template <class U>
        requires detail::ExactlyEncodable<U>
    U read() {
        if constexpr (std::is_same_v<U, bool>) {
            const auto byte = read<std::uint8_t>();
            if (byte > 1) {
                fail("a boolean byte is " + std::to_string(byte) + ", not 0 or 1", position_ - 1);
            }
            return byte == 1;
        } else if constexpr (std::is_floating_point_v<U>) {
            using Bits = std::conditional_t<sizeof(U) == 4, std::uint32_t, std::uint64_t>;
            return std::bit_cast<U>(read<Bits>());
        } else {
            require(sizeof(U), [] { return "a " + std::to_string(sizeof(U)) + "-byte integer"; });
            std::uint64_t bits = 0;
            for (std::size_t i = 0; i < sizeof(U); ++i) {
                bits |= std::to_integer<std::uint64_t>(bytes_[position_ + i]) << (8 * i);
            }
            position_ += sizeof(U);
            return static_cast<U>(static_cast<std::make_unsigned_t<U>>(bits));
        }
    }

    template <class U>
        requires detail::ExactlyEncodable<U> && (!std::is_same_v<U, bool>)
    void read_array(U* values, std::size_t count) {
        if (count > remaining() / sizeof(U)) {
            fail("needs " + std::to_string(count) + " values of " + std::to_string(sizeof(U)) + " bytes but only " +
                     std::to_string(remaining()) + " bytes remain",
                 position_);
        }
        if constexpr (std::endian::native == std::endian::little) {
            if (count != 0) {
                std::memcpy(values, bytes_.data() + position_, count * sizeof(U));
            }
            position_ += count * sizeof(U);
        } else {
            for (std::size_t i = 0; i < count; ++i) {
                values[i] = read<U>();
            }
        }
    }

    /// A size (a u64) read from the input: rejected unless it fits
    /// std::ptrdiff_t (fedpp::Index), so that no forged size turns negative.
    std::size_t read_size(const char* what) {
        const std::size_t at = position_;
        const auto size = read<std::uint64_t>();
        if (size > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
            fail(std::string(what) + " is " + std::to_string(size) + ", more than any size can be (" +
                     std::to_string(std::numeric_limits<std::ptrdiff_t>::max()) + ")",
                 at);
        }
        return static_cast<std::size_t>(size);
    }

    /// A count read from the input that sizes an allocation: a size
    /// (read_size), rejected if even `min_bytes_each` bytes per element
    /// cannot remain, so corrupt input cannot ask for gigabytes.
    std::size_t read_count(std::size_t min_bytes_each, const char* what) {
        const std::size_t at = position_;
        const auto count = read_size(what);
        if (min_bytes_each > 0 && count > remaining() / min_bytes_each) {
            fail(std::string(what) + " is " + std::to_string(count) + " but only " + std::to_string(remaining()) +
                     " bytes remain",
                 at);
        }
        return static_cast<std::size_t>(count);
    }

    std::string read_string() { return std::string(read_string_view()); }

    /// The next string, as a view of the input bytes (valid as long as they
    /// are): read_string() without the copy.
    std::string_view read_string_view() {
        const std::size_t length = read_count(1, "a string length");
        const std::string_view text(reinterpret_cast<const char*>(bytes_.data()) + position_, length);
        position_ += length;
        return text;
    }

    [[nodiscard]] std::size_t position() const noexcept { return position_; }
    [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - position_; }
    /// The input's name. Should building a lazy name fail (out of memory),
    /// it is left empty rather than throwing from here.
    [[nodiscard]] const std::string& what() const noexcept {
        if (lazy_what_) {
            try {
                what_ = (*lazy_what_)();
            } catch (...) { // NOLINT(bugprone-empty-catch): an empty name is the documented fallback
            }
            lazy_what_.reset();
        }
        return what_;
    }

    /// SerializationError unless every byte was read.
    void expect_end() const {
        if (remaining() != 0) {
            fail(std::to_string(remaining()) + " unexpected bytes after the value", position_);
        }
    }

    [[noreturn]] void fail(const std::string& message, std::size_t at) const {
        throw SerializationError(what() + ": byte " + std::to_string(at) + ": " + message);
    }

private:
    /// `describe_item()` names what was being read; it is called only on
    /// failure, so that a successful read builds no string.
    template <class DescribeItem>
    void require(std::size_t count, const DescribeItem& describe_item) const {
        if (count > remaining()) {
            fail("truncated: " + describe_item() + " needs " + std::to_string(count) + " bytes, " +
                     std::to_string(remaining()) + " remain",
                 position_);
        }
    }

    std::span<const std::byte> bytes_;
    mutable std::string what_;
    mutable std::optional<detail::LazyText> lazy_what_; // builds what_ on first use
    std::size_t position_ = 0;
};

} // namespace fedpp
