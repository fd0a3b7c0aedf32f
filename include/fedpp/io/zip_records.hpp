// fedpp::io: the records of a zip file (PKWARE's APPNOTE.TXT), as far as
// .npz archives use them. All fields are little-endian.
//
//   local file header    "PK\3\4", then at +4 version needed (2), flags (2),
//   (30 bytes + name     method (2: 0 stored, 8 deflate), time (2), date (2),
//   + extra)             CRC-32 (4), compressed size (4), uncompressed size
//                        (4), name length (2) at +26, extra length (2) at +28;
//                        the member's data follows the name and extra field
//   central directory    "PK\1\2", then version made by (2), version needed
//   entry (46 bytes +    (2), flags (2) at +8, method (2) at +10, time, date,
//   name + extra +       CRC-32 at +16, compressed size at +20, uncompressed
//   comment)             size at +24, name length at +28, extra length at
//                        +30, comment length at +32, disk (2) at +34,
//                        attributes (2 + 4), local header offset (4) at +42
//   end of central       "PK\5\6", then this disk (2), the directory's disk
//   directory (22 bytes  (2), entries on this disk (2), entries (2), directory
//   + comment)           size (4) at +12, directory offset (4) at +16,
//                        comment length (2) at +20
//   zip64 end record     "PK\6\6" (56 bytes): disks (4 + 4) at +16, entries
//                        (8 + 8) at +24, directory size (8) at +40, offset
//                        (8) at +48; found through the zip64 locator "PK\6\7"
//                        (20 bytes, just before the end record: record
//                        offset (8) at +8). Used when a 16- or 32-bit field
//                        of the end record is all ones.
//   zip64 extra field    id 0x0001: the 8-byte sizes and offset whose 32-bit
//                        fields are all ones, in the order uncompressed,
//                        compressed, local header offset.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::io::detail {

inline constexpr std::uint32_t zip_local_signature = 0x04034b50;
inline constexpr std::uint32_t zip_directory_signature = 0x02014b50;
inline constexpr std::uint32_t zip_end_signature = 0x06054b50;
inline constexpr std::uint32_t zip64_end_signature = 0x06064b50;
inline constexpr std::uint32_t zip64_locator_signature = 0x07064b50;

inline constexpr std::size_t zip_local_size = 30;
inline constexpr std::size_t zip_directory_size = 46;
inline constexpr std::size_t zip_end_size = 22;
inline constexpr std::size_t zip64_end_size = 56;
inline constexpr std::size_t zip64_locator_size = 20;

inline constexpr std::uint16_t zip_stored = 0;
inline constexpr std::uint16_t zip_deflated = 8;
inline constexpr std::uint16_t zip_encrypted_flag = 0x0001;
inline constexpr std::uint16_t zip_utf8_flag = 0x0800;
inline constexpr std::uint16_t zip64_extra_id = 0x0001;

/// 1980-01-01 00:00, the earliest MS-DOS date: written for every member,
/// so that the same model gives the same bytes.
inline constexpr std::uint16_t zip_dos_date = (0 << 9) | (1 << 5) | 1;

/// zlib's CRC-32 (the zip checksum) of `bytes`.
inline std::uint32_t zip_crc32(std::span<const std::byte> bytes) {
    uLong crc = crc32(0L, Z_NULL, 0);
    constexpr std::size_t chunk = std::size_t{1} << 30; // zlib takes uInt lengths
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        const std::size_t n = std::min(chunk, bytes.size() - at);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
    }
    return static_cast<std::uint32_t>(crc);
}

} // namespace fedpp::io::detail
