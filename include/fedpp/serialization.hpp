// fedpp: values as bytes.
//
// Everything that crosses from one party to another (send, move, get) is
// turned into bytes by a Codec and rebuilt from them on the other side, so
// that no party ever shares memory with another, and so that an in-process
// transport can later be swapped for one that ships the same bytes between
// processes. The format is little-endian whatever the host, and every
// encoded value starts with its type name, so bytes decoded as the wrong
// type are rejected instead of misread.
//
// To make your own type transferable, specialise fedpp::Codec:
//
//     template <> struct fedpp::Codec<MyType> {
//         static std::string type_name() { return "my::MyType"; }
//         static void encode(const MyType& value, fedpp::ByteWriter& out);
//         static MyType decode(fedpp::ByteReader& in);  // throw SerializationError on bad input
//     };
#pragma once

#include "fedpp/errors.hpp"

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
template <class Signature>
class FunctionRef;

/// A non-owning reference to a callable: a function pointer and the
/// callable's address, nothing allocated, nothing copied. The callable must
/// outlive the reference, which therefore only travels down the stack.
template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F>
        requires(std::is_invocable_r_v<R, const F&, Args...> && !std::is_same_v<std::remove_cvref_t<F>, FunctionRef>)
    FunctionRef(const F& callable) noexcept // NOLINT: implicit, so that a lambda can be passed where one is expected
        : callable_(&callable), call_([](const void* c, Args... args) -> R {
              return (*static_cast<const F*>(c))(std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(callable_, std::forward<Args>(args)...); }

private:
    const void* callable_;
    R (*call_)(const void*, Args...);
};

/// A text built only if it is needed. Names of inputs ("value sent from 'me'
/// to 'bob'") are needed only for error messages, but would otherwise be
/// composed for every value that crosses.
using LazyText = FunctionRef<std::string()>;
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
        requires std::is_arithmetic_v<U>
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
        requires std::is_arithmetic_v<U> && (!std::is_same_v<U, bool>)
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
        requires std::is_arithmetic_v<U>
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
        requires std::is_arithmetic_v<U> && (!std::is_same_v<U, bool>)
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

    /// A count read from the input that sizes an allocation: rejected if
    /// even `min_bytes_each` bytes per element cannot remain, so corrupt
    /// input cannot ask for gigabytes.
    std::size_t read_count(std::size_t min_bytes_each, const char* what) {
        const std::size_t at = position_;
        const auto count = read<std::uint64_t>();
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

/// How a type becomes bytes and back. Specialise it for your own types.
template <class T>
struct Codec; // no codec for this type: specialise fedpp::Codec<T> (see serialization.hpp) to send it

template <class T>
concept Serializable = requires(const T& value, ByteWriter& out, ByteReader& in) {
    { Codec<T>::type_name() } -> std::convertible_to<std::string>;
    Codec<T>::encode(value, out);
    { Codec<T>::decode(in) } -> std::same_as<T>;
};

namespace detail {
/// Codec<T>::type_name(), built once per type. Codecs compose it by
/// concatenation ("fedpp::nn::Linear<" + "f32" + ">"), and every value that
/// crosses between parties is tagged and checked with it.
template <Serializable T>
const std::string& type_name_of() {
    static const std::string name = Codec<T>::type_name();
    return name;
}

template <class U>
constexpr std::string_view arithmetic_name() {
    if constexpr (std::is_same_v<U, bool>) return "bool";
    else if constexpr (std::is_same_v<U, float>) return "f32";
    else if constexpr (std::is_same_v<U, double>) return "f64";
    else if constexpr (std::is_floating_point_v<U>) return "float";
    else if constexpr (std::is_signed_v<U>) {
        if constexpr (sizeof(U) == 1) return "i8";
        else if constexpr (sizeof(U) == 2) return "i16";
        else if constexpr (sizeof(U) == 4) return "i32";
        else return "i64";
    } else {
        if constexpr (sizeof(U) == 1) return "u8";
        else if constexpr (sizeof(U) == 2) return "u16";
        else if constexpr (sizeof(U) == 4) return "u32";
        else return "u64";
    }
}
} // namespace detail

template <class U>
    requires std::is_arithmetic_v<U> && (!std::is_same_v<U, long double>)
struct Codec<U> {
    static std::string type_name() { return std::string(detail::arithmetic_name<U>()); }
    static void encode(const U& value, ByteWriter& out) { out.write(value); }
    static U decode(ByteReader& in) { return in.read<U>(); }
};

template <class U>
    requires std::is_arithmetic_v<U> && (!std::is_same_v<U, bool>)
struct Codec<std::vector<U>> {
    static std::string type_name() { return "vector<" + Codec<U>::type_name() + ">"; }
    static void encode(const std::vector<U>& values, ByteWriter& out) {
        out.write<std::uint64_t>(values.size());
        out.write_array(values.data(), values.size());
    }
    static std::vector<U> decode(ByteReader& in) {
        std::vector<U> values(in.read_count(sizeof(U), "a vector length"));
        in.read_array(values.data(), values.size());
        return values;
    }
};

template <>
struct Codec<std::string> {
    static std::string type_name() { return "string"; }
    static void encode(const std::string& value, ByteWriter& out) { out.write_string(value); }
    static std::string decode(ByteReader& in) { return in.read_string(); }
};

/// The bytes of `value`: its type name, then its encoding.
template <Serializable T>
Bytes to_bytes(const T& value) {
    // Measured first (encoding without copying is a walk over the value's
    // shape), so that the bytes are allocated and copied once.
    ByteWriter measure(ByteWriter::MeasureOnly{});
    measure.write_string(detail::type_name_of<T>());
    Codec<T>::encode(value, measure);
    Bytes bytes;
    bytes.reserve(measure.size());
    ByteWriter out(bytes);
    out.write_string(detail::type_name_of<T>());
    Codec<T>::encode(value, out);
    return bytes;
}

namespace detail {
template <Serializable T>
T read_tagged_value(ByteReader& in) {
    const std::string& expected = type_name_of<T>();
    const std::string_view found = in.read_string_view();
    if (found != expected) {
        in.fail("holds a value of type '" + std::string(found) + "', expected '" + expected + "'", 0);
    }
    T value = Codec<T>::decode(in);
    in.expect_end();
    return value;
}
} // namespace detail

/// The value encoded in `bytes` by to_bytes<T>. SerializationError if the
/// bytes hold another type, are truncated, or have bytes left over; `what`
/// names the input in that message.
template <Serializable T>
T from_bytes(std::span<const std::byte> bytes, std::string what = "bytes") {
    ByteReader in(bytes, std::move(what));
    return detail::read_tagged_value<T>(in);
}

/// from_bytes, with the input's name built only if there is an error:
/// from_bytes<T>(bytes, [&] { return "message from " + sender; }).
template <Serializable T>
T from_bytes(std::span<const std::byte> bytes, detail::LazyText what) {
    ByteReader in(bytes, what);
    return detail::read_tagged_value<T>(in);
}

} // namespace fedpp
