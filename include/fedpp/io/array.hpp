// fedpp::io: a named array as the weights files store it.
//
// Both formats store each array as its element type, its shape (outermost
// dimension first) and its values in C (row-major) order, little-endian.
// ArrayRecord is that, independent of the file format; state_dict.hpp maps
// a model's parameters to and from records. Element types: float32 and
// float64 (safetensors "F32"/"F64", NumPy "<f4"/"<f8"), and, read only (a
// model is float32 or float64, and so is what fedpp writes), float16 and
// bfloat16 (safetensors "F16"/"BF16", NumPy "<f2"), each value of which a
// float holds exactly.
#pragma once

#include "fedpp/io/codec.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace fedpp::io {

enum class Dtype { f32, f64, f16, bf16 };

/// The dimensions of an array, outermost first: PyTorch's tensor.shape.
using Shape = std::vector<std::uint64_t>;

struct ArrayRecord {
    std::string name;
    Dtype dtype = Dtype::f32;
    Shape shape;
    Bytes data; ///< element_count(shape) values, C order, little-endian
};

template <class T>
constexpr Dtype dtype_of() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "fedpp::io: float or double only");
    return std::is_same_v<T, float> ? Dtype::f32 : Dtype::f64;
}

constexpr std::size_t element_size(Dtype dtype) noexcept {
    switch (dtype) {
    case Dtype::f32: return 4;
    case Dtype::f64: return 8;
    case Dtype::f16:
    case Dtype::bf16: return 2;
    }
    return 8;
}

/// "float32" / "float64", for messages.
constexpr std::string_view dtype_name(Dtype dtype) noexcept {
    switch (dtype) {
    case Dtype::f32: return "float32";
    case Dtype::f64: return "float64";
    case Dtype::f16: return "float16";
    case Dtype::bf16: return "bfloat16";
    }
    return "unknown";
}

constexpr std::string_view safetensors_dtype(Dtype dtype) noexcept {
    switch (dtype) {
    case Dtype::f32: return "F32";
    case Dtype::f64: return "F64";
    case Dtype::f16: return "F16";
    case Dtype::bf16: return "BF16";
    }
    return "unknown";
}

inline std::optional<Dtype> dtype_from_safetensors(std::string_view name) noexcept {
    for (const Dtype dtype : {Dtype::f32, Dtype::f64, Dtype::f16, Dtype::bf16}) {
        if (name == safetensors_dtype(dtype)) {
            return dtype;
        }
    }
    return std::nullopt;
}

/// NumPy's name of `dtype` (NumPy has no bfloat16: npy_bytes refuses it).
constexpr std::string_view npy_descr(Dtype dtype) noexcept {
    return dtype == Dtype::f32 ? "<f4" : dtype == Dtype::f64 ? "<f8" : dtype == Dtype::f16 ? "<f2" : "";
}

inline std::optional<Dtype> dtype_from_npy(std::string_view descr) noexcept {
    for (const Dtype dtype : {Dtype::f32, Dtype::f64, Dtype::f16}) {
        if (descr == npy_descr(dtype)) {
            return dtype;
        }
    }
    return std::nullopt;
}

/// "[16, 8]", as PyTorch prints a shape.
inline std::string shape_text(const Shape& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        text += i == 0 ? "" : ", ";
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

/// The number of elements of `shape` (1 for a scalar), or nothing if the
/// product overflows 64 bits.
inline std::optional<std::uint64_t> element_count(const Shape& shape) noexcept {
    std::uint64_t count = 1;
    for (const std::uint64_t dimension : shape) {
        if (dimension != 0 && count > UINT64_MAX / dimension) {
            return std::nullopt;
        }
        count *= dimension;
    }
    return count;
}

/// The byte count of `shape` elements of `dtype`, or nothing on overflow.
inline std::optional<std::uint64_t> byte_count(const Shape& shape, Dtype dtype) noexcept {
    const auto count = element_count(shape);
    if (!count || *count > UINT64_MAX / element_size(dtype)) {
        return std::nullopt;
    }
    return *count * element_size(dtype);
}

namespace detail {

template <class Stored>
Stored load_little_endian(const std::byte* at) noexcept {
    using Bits = std::conditional_t<sizeof(Stored) == 4, std::uint32_t, std::uint64_t>;
    Bits bits = 0;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&bits, at, sizeof bits);
    } else {
        for (std::size_t i = 0; i < sizeof bits; ++i) {
            bits |= static_cast<Bits>(std::to_integer<unsigned>(at[i])) << (8 * i);
        }
    }
    return std::bit_cast<Stored>(bits);
}

/// Reads `count` values stored as `Stored` into `out` as T (a conversion
/// between float and double rounds to nearest, as a C++ cast does).
template <class Stored, class T>
void decode_as(std::span<const std::byte> data, T* out, std::size_t count) {
    if constexpr (std::is_same_v<Stored, T> && std::endian::native == std::endian::little) {
        if (count != 0) {
            std::memcpy(out, data.data(), count * sizeof(T));
        }
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            out[i] = static_cast<T>(load_little_endian<Stored>(data.data() + i * sizeof(Stored)));
        }
    }
}

/// The 16 bits at `at`, little-endian.
inline std::uint16_t load_half_bits(const std::byte* at) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(at[0]) | (std::to_integer<unsigned>(at[1]) << 8));
}

/// The float an IEEE 754 binary16 value is, exactly (subnormals, infinities
/// and NaNs included).
inline float half_to_float(std::uint16_t half) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(half >> 15) << 31;
    std::uint32_t exponent = (half >> 10) & 0x1f;
    std::uint32_t mantissa = half & 0x3ff;
    if (exponent == 0x1f) { // infinity, NaN (its payload kept)
        return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    }
    if (exponent == 0) {
        if (mantissa == 0) {
            return std::bit_cast<float>(sign);
        }
        exponent = 1; // a subnormal: normalise it
        while ((mantissa & 0x400) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        mantissa &= 0x3ff;
    }
    return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

/// `count` values of `dtype` from `data` (which holds exactly that many
/// bytes: the readers check it) into `out`; float16 and bfloat16 exactly.
template <class T>
void decode_values(std::span<const std::byte> data, Dtype dtype, T* out, std::size_t count) {
    switch (dtype) {
    case Dtype::f32: decode_as<float>(data, out, count); return;
    case Dtype::f64: decode_as<double>(data, out, count); return;
    case Dtype::f16:
        for (std::size_t i = 0; i < count; ++i) {
            out[i] = static_cast<T>(half_to_float(load_half_bits(data.data() + 2 * i)));
        }
        return;
    case Dtype::bf16: // the upper half of a float
        for (std::size_t i = 0; i < count; ++i) {
            out[i] = static_cast<T>(
                std::bit_cast<float>(static_cast<std::uint32_t>(load_half_bits(data.data() + 2 * i)) << 16));
        }
        return;
    }
}

/// The little-endian bytes of `count` values.
template <class T>
Bytes encode_values(const T* values, std::size_t count) {
    Bytes bytes;
    bytes.reserve(count * sizeof(T));
    ByteWriter out(bytes);
    out.write_array(values, count);
    return bytes;
}

} // namespace detail
} // namespace fedpp::io
