// fedpp: bytes, and the little-endian writer every codec uses.
#pragma once

#include "fedpp/base/function_ref.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
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

    /// Where the bytes of a writer that sends as it writes go, a chunk at a
    /// time; the chunk's bytes are valid only during the call.
    using ChunkSink = detail::FunctionRef<void(std::span<const std::byte> chunk)>;

    /// A writer that hands what it writes to `sink` in chunks of
    /// `chunk_bytes` (the last one shorter; call finish() after the last
    /// write): a value is encoded straight into a network stream, with no
    /// buffer of its whole encoding. Whole chunks of a long run (an array)
    /// go to the sink from the run's own memory. `sink` must outlive the writer.
    ByteWriter(std::size_t chunk_bytes, ChunkSink sink)
        : out_(&staging_), sink_(sink), chunk_bytes_(std::max<std::size_t>(chunk_bytes, 1)) {
        staging_.reserve(chunk_bytes_);
    }

    ByteWriter(const ByteWriter&) = delete; // (a copy would write to the original's buffer)
    ByteWriter& operator=(const ByteWriter&) = delete;

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

    /// How many bytes were written (or measured, or sent).
    [[nodiscard]] std::size_t size() const noexcept { return out_ != nullptr ? measured_ + out_->size() : measured_; }

    /// A sending writer's last chunk to its sink (if any byte is left).
    void finish() {
        if (sink_ && !staging_.empty()) {
            send(staging_);
            staging_.clear();
        }
    }

private:
    void append(const void* data, std::size_t count) {
        if (out_ == nullptr) {
            measured_ += count;
            return;
        }
        const auto* first = static_cast<const std::byte*>(data);
        if (sink_ && staging_.size() + count >= chunk_bytes_) {
            append_sending(first, count);
            return;
        }
        out_->insert(out_->end(), first, first + count);
    }

    /// A sending writer's append that completes a chunk: the chunk goes to
    /// the sink, and so do whole chunks straight from `first`.
    void append_sending(const std::byte* first, std::size_t count) {
        while (count != 0) {
            if (staging_.empty() && count >= chunk_bytes_) {
                send({first, chunk_bytes_});
                first += chunk_bytes_;
                count -= chunk_bytes_;
                continue;
            }
            const std::size_t n = std::min(count, chunk_bytes_ - staging_.size());
            staging_.insert(staging_.end(), first, first + n);
            first += n;
            count -= n;
            if (staging_.size() == chunk_bytes_) {
                send(staging_);
                staging_.clear();
            }
        }
    }

    void send(std::span<const std::byte> chunk) {
        (*sink_)(chunk);
        measured_ += chunk.size(); // (what was sent)
    }

    Bytes* out_;
    std::size_t measured_ = 0;
    Bytes staging_;                   // a sending writer's chunk being filled
    std::optional<ChunkSink> sink_;   // for a sending writer
    std::size_t chunk_bytes_ = 0;
};

} // namespace fedpp
