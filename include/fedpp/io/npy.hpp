// fedpp::io: one array as a NumPy .npy file (NEP 1,
// numpy.lib.format), the members of an .npz archive.
//
//     offset  size  field
//     0       6     magic "\x93NUMPY"
//     6       2     version major, minor: 1.0 (2.0 and 3.0 are read too)
//     8       2     H, the header length (u16 LE; u32 LE from version 2.0,
//                   and the header then starts at 12)
//     10      H     a Python dict literal, padded with spaces and ending in
//                   '\n' so that the data starts at a multiple of 64:
//                   {'descr': '<f4', 'fortran_order': False, 'shape': (16, 8), }
//     10+H    ...   the values, C order: exactly the shape's element count
//
// Reading: TruncatedError (cut before the end of the header),
// HeaderError (no magic, an unknown version, a header that is not such a
// dict, fortran_order True: fedpp reads C-order arrays only),
// UnsupportedDtypeError (a descr other than '<f4', '<f8' and '<f2'),
// SizeMismatchError (data bytes that are not the shape's). Positions count
// from the member's first byte.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/array.hpp"
#include "fedpp/io/errors.hpp"
#include "fedpp/io/npy_header.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace fedpp::io::detail {

inline constexpr std::array<unsigned char, 6> npy_magic{0x93, 'N', 'U', 'M', 'P', 'Y'};

/// The header dict for `array`, without padding.
inline std::string npy_header_text(const ArrayRecord& array) {
    std::string shape = "(";
    for (std::size_t i = 0; i < array.shape.size(); ++i) {
        shape += i == 0 ? "" : ", ";
        shape += std::to_string(array.shape[i]);
    }
    shape += array.shape.size() == 1 ? ",)" : ")";
    return std::string("{'descr': '") + std::string(npy_descr(array.dtype)) +
           "', 'fortran_order': False, 'shape': " + shape + ", }";
}

/// The .npy file of `array`: version 1.0, or 2.0 if the header needs more
/// than 65535 bytes. ArgumentError for a bfloat16 array (NumPy has none).
inline Bytes npy_bytes(const ArrayRecord& array) {
    if (npy_descr(array.dtype).empty()) {
        throw ArgumentError("npy: array '" + array.name + "' is " + std::string(dtype_name(array.dtype)) +
                            ", which NumPy has no type for (use safetensors)");
    }
    const auto bytes = byte_count(array.shape, array.dtype);
    if (!bytes || *bytes != array.data.size()) {
        throw ArgumentError("npy: array '" + array.name + "' of shape " + shape_text(array.shape) + " holds " +
                            std::to_string(array.data.size()) + " bytes");
    }
    std::string header = npy_header_text(array);
    const auto padded = [&](std::size_t prefix) {
        return header.size() + 1 + (64 - (prefix + header.size() + 1) % 64) % 64;
    };
    const bool version2 = padded(10) > 65535;
    const std::size_t prefix = version2 ? 12 : 10;
    header.resize(padded(prefix) - 1, ' ');
    header += '\n';
    Bytes file;
    file.reserve(prefix + header.size() + array.data.size());
    ByteWriter out(file);
    for (const unsigned char c : npy_magic) {
        out.write<std::uint8_t>(c);
    }
    out.write<std::uint8_t>(version2 ? 2 : 1);
    out.write<std::uint8_t>(0);
    if (version2) {
        out.write<std::uint32_t>(static_cast<std::uint32_t>(header.size()));
    } else {
        out.write<std::uint16_t>(static_cast<std::uint16_t>(header.size()));
    }
    out.write_bytes(std::as_bytes(std::span(header.data(), header.size())));
    out.write_bytes(array.data);
    return file;
}

/// The header text of the .npy `file`, and where it ends.
inline std::string_view npy_header_of(std::span<const std::byte> file, const std::string& where, std::size_t& end) {
    const std::size_t magic_present = std::min(file.size(), npy_magic.size());
    if (magic_present > 0 && std::memcmp(file.data(), npy_magic.data(), magic_present) != 0) {
        throw HeaderError(where, 0, "not a .npy array (no \\x93NUMPY magic)");
    }
    if (file.size() < 8) {
        throw TruncatedError(where, file.size(),
                             std::string("truncated: ") + std::to_string(file.size()) +
                                 " bytes, shorter than the .npy magic and version");
    }
    const auto major = std::to_integer<unsigned>(file[6]);
    if (major < 1 || major > 3) {
        throw HeaderError(where, 6,
                          std::string(".npy format version ") + std::to_string(major) + "." +
                              std::to_string(std::to_integer<unsigned>(file[7])) +
                              " is not supported (1.0 to 3.0 are)");
    }
    const std::size_t prefix = major == 1 ? 10 : 12;
    if (file.size() < prefix) {
        throw TruncatedError(where, file.size(), "truncated: the header length field is cut");
    }
    std::uint64_t length = 0;
    for (std::size_t i = 8; i < prefix; ++i) {
        length |= std::to_integer<std::uint64_t>(file[i]) << (8 * (i - 8));
    }
    if (length > file.size() - prefix) {
        throw TruncatedError(where, 8,
                             std::string("truncated: the header length ") + std::to_string(length) +
                                 " runs past the end of the array (" + std::to_string(file.size() - prefix) +
                                 " bytes follow it)");
    }
    end = prefix + static_cast<std::size_t>(length);
    return {reinterpret_cast<const char*>(file.data()) + prefix, static_cast<std::size_t>(length)};
}

/// The array in the .npy `file`, named `name`; `where` names the file.
inline ArrayRecord read_npy(std::span<const std::byte> file, std::string name, const std::string& where) {
    std::size_t data_at = 0;
    const std::string_view text = npy_header_of(file, where, data_at);
    const NpyHeader header = parse_npy_header(text, data_at - text.size(), where);
    const auto dtype = dtype_from_npy(header.descr);
    if (!dtype) {
        throw UnsupportedDtypeError(where, header.descr_at,
                                    "descr '" + header.descr + "' is not supported (fedpp reads '<f4', '<f8' and '<f2')");
    }
    if (header.fortran_order) {
        throw HeaderError(where, header.fortran_order_at,
                          "fortran_order is True: fedpp reads C-order arrays only (save "
                          "numpy.ascontiguousarray(a) instead)");
    }
    const auto needed = byte_count(header.shape, *dtype);
    const std::size_t present = file.size() - data_at;
    if (!needed || *needed != present) {
        throw SizeMismatchError(where, data_at,
                                std::string(npy_descr(*dtype)) + " of shape " + shape_text(header.shape) + " needs " +
                                    (needed ? std::to_string(*needed) : std::string("more than 2^64")) +
                                    " bytes of data, the array has " + std::to_string(present));
    }
    const auto data = file.subspan(data_at);
    return {std::move(name), *dtype, header.shape, Bytes(data.begin(), data.end())};
}

} // namespace fedpp::io::detail
