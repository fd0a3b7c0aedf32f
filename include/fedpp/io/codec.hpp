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

#include "fedpp/base/errors.hpp"
#include "fedpp/base/function_ref.hpp"
#include "fedpp/io/bytes.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp {

/// How a type becomes bytes and back. Specialise it for your own types.
template <class T>
struct Codec; // no codec for this type: specialise fedpp::Codec<T> (see fedpp/io/codec.hpp) to send it

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
    requires detail::ExactlyEncodable<U>
struct Codec<U> {
    static std::string type_name() { return std::string(detail::arithmetic_name<U>()); }
    static void encode(const U& value, ByteWriter& out) { out.write(value); }
    static U decode(ByteReader& in) { return in.read<U>(); }
};

/// Arithmetic types without an exact encoding (__int128 under GNU
/// extensions, long double) are refused where they are first used, rather
/// than truncated to 8 bytes.
template <class U>
    requires std::is_arithmetic_v<U> && (!detail::ExactlyEncodable<U>)
struct Codec<U> {
    static_assert(!std::is_arithmetic_v<U>,
                  "fedpp::Codec: this arithmetic type (__int128, long double, ...) has no exact byte encoding, so "
                  "it cannot be sent, fetched or checkpointed: convert it to std::int64_t, std::uint64_t or double "
                  "first, or encode it yourself in a type with its own fedpp::Codec");
};

template <class U>
    requires detail::ExactlyEncodable<U> && (!std::is_same_v<U, bool>)
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

namespace detail {
/// What to_bytes writes: the type name, then the value's encoding.
template <Serializable T>
void write_tagged_value(const T& value, ByteWriter& out) {
    out.write_string(type_name_of<T>());
    Codec<T>::encode(value, out);
}

/// The size of to_bytes(value), measured without writing (a walk over the
/// value's shape).
template <Serializable T>
std::size_t tagged_size(const T& value) {
    ByteWriter measure(ByteWriter::MeasureOnly{});
    write_tagged_value(value, measure);
    return measure.size();
}
} // namespace detail

/// The bytes of `value`: its type name, then its encoding.
template <Serializable T>
Bytes to_bytes(const T& value) {
    // Measured first, so that the bytes are allocated and copied once.
    Bytes bytes;
    bytes.reserve(detail::tagged_size(value));
    ByteWriter out(bytes);
    detail::write_tagged_value(value, out);
    return bytes;
}

namespace detail {
/// The longest type name a value's bytes may give (checked before it is read).
inline constexpr std::size_t max_type_name_bytes = 4096;

/// A value as to_bytes wrote it, read from `in` to its end.
template <Serializable T>
T read_tagged_value(ByteReader& in) {
    const std::string& expected = type_name_of<T>();
    const std::string_view found = in.read_string_view(max_type_name_bytes);
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
