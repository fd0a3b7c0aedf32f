// fedpp::io: reading the members of a zip file (an .npz archive).
//
// The central directory is the authority (sizes, CRC, method); each local
// header must be where the directory says and carry the same name. Members
// are stored or deflated (numpy.savez and numpy.savez_compressed); zip64
// records and extra fields are understood (numpy writes the latter). The
// checks, each with its byte position in the file:
//   TruncatedError  a file that starts as a zip but lacks its end record,
//                   or a record cut by the end of the file
//   ZipError        not a zip; an end record, directory or local header
//                   that is out of range or lacks its signature; several
//                   disks; an encrypted member or a method other than
//                   stored and deflate; repeated names; overlapping
//                   members; sizes that disagree; corrupt deflate data
//   ChecksumError   a member whose CRC-32 differs from the directory's
// Memory: members are inflated into buffers that grow with the output, at
// most the size the directory announces, itself at most deflate's largest
// ratio (1032:1) times the member's bytes.
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/io/deflate.hpp"
#include "fedpp/io/errors.hpp"
#include "fedpp/io/zip_records.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace fedpp::io::detail {

struct ZipMember {
    std::string name;
    Bytes contents;          ///< uncompressed
    std::uint64_t record_at; ///< its central directory record, for messages
};

/// A zip file's bytes: bounds-checked little-endian fields by position.
class ZipBytes {
public:
    ZipBytes(std::span<const std::byte> file, const std::string& where) : file_(file), where_(where) {}

    [[nodiscard]] std::uint64_t field(std::uint64_t at, std::size_t width, const char* what) const {
        if (at > file_.size() || width > file_.size() - at) {
            throw TruncatedError(where_, static_cast<std::size_t>(std::min<std::uint64_t>(at, file_.size())),
                                 std::string("truncated: ") + what + " runs past the end of the file");
        }
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            value |= std::to_integer<std::uint64_t>(file_[static_cast<std::size_t>(at) + i]) << (8 * i);
        }
        return value;
    }
    [[nodiscard]] std::uint16_t u16(std::uint64_t at, const char* what) const {
        return static_cast<std::uint16_t>(field(at, 2, what));
    }
    [[nodiscard]] std::uint32_t u32(std::uint64_t at, const char* what) const {
        return static_cast<std::uint32_t>(field(at, 4, what));
    }
    [[nodiscard]] std::uint64_t u64(std::uint64_t at, const char* what) const { return field(at, 8, what); }

    /// `size` bytes at `at`, which must be in the file.
    [[nodiscard]] std::span<const std::byte> range(std::uint64_t at, std::uint64_t size, const char* what) const {
        (void)field(at, 0, what);
        if (size > file_.size() - at) {
            throw TruncatedError(where_, static_cast<std::size_t>(at),
                                 std::string("truncated: ") + what + " runs past the end of the file");
        }
        return file_.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(size));
    }

    [[noreturn]] void fail(std::uint64_t at, const std::string& what) const {
        throw ZipError(where_, static_cast<std::size_t>(at), what);
    }

    [[nodiscard]] std::size_t size() const noexcept { return file_.size(); }
    [[nodiscard]] const std::string& where() const noexcept { return where_; }

private:
    std::span<const std::byte> file_;
    const std::string& where_;
};

/// Where the central directory is, and how many entries it has.
struct ZipDirectory {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint64_t count = 0;
};

struct ZipEntry {
    std::string name;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t local_offset = 0;
    std::uint64_t directory_at = 0; ///< its central directory record
    std::uint64_t data_at = 0;      ///< filled in from the local header
};

/// The position of the end-of-central-directory record: the last "PK\5\6"
/// whose comment ends exactly at the end of the file.
inline std::uint64_t find_zip_end(const ZipBytes& zip, std::span<const std::byte> file) {
    const bool looks_like_zip = file.size() >= 4 && zip.u32(0, "the signature") == zip_local_signature;
    if (file.size() >= zip_end_size) {
        const std::size_t lowest =
            file.size() - zip_end_size - std::min<std::size_t>(file.size() - zip_end_size, 0xFFFF);
        for (std::size_t at = file.size() - zip_end_size + 1; at-- > lowest;) {
            if (zip.u32(at, "an end record") == zip_end_signature &&
                zip.u16(at + 20, "an end record") == file.size() - at - zip_end_size) {
                return at;
            }
        }
    }
    if (looks_like_zip) {
        throw TruncatedError(zip.where(), file.size(),
                             "truncated: the zip file has no end-of-central-directory record");
    }
    zip.fail(0, "not a zip file (no end-of-central-directory record)");
}

/// The zip64 end record's directory fields, found through the locator just
/// before the end record at `end`.
inline ZipDirectory read_zip64_end(const ZipBytes& zip, std::uint64_t end, std::uint64_t& directory_end) {
    if (end < zip64_locator_size || zip.u32(end - zip64_locator_size, "the zip64 locator") != zip64_locator_signature) {
        zip.fail(end, "the end record defers to zip64 but no zip64 locator precedes it");
    }
    const std::uint64_t record = zip.u64(end - zip64_locator_size + 8, "the zip64 locator");
    if (record > end - zip64_locator_size || end - zip64_locator_size - record < zip64_end_size ||
        zip.u32(record, "the zip64 end record") != zip64_end_signature) {
        zip.fail(end - zip64_locator_size, "the zip64 locator points to no zip64 end record");
    }
    if (zip.u32(record + 16, "the zip64 end record") != 0 || zip.u32(record + 20, "the zip64 end record") != 0 ||
        zip.u64(record + 24, "the zip64 end record") != zip.u64(record + 32, "the zip64 end record")) {
        zip.fail(record, "archives on several disks are not supported");
    }
    directory_end = record;
    return {zip.u64(record + 48, "the zip64 end record"), zip.u64(record + 40, "the zip64 end record"),
            zip.u64(record + 32, "the zip64 end record")};
}

inline ZipDirectory read_zip_end(const ZipBytes& zip, std::uint64_t end) {
    const char* what = "the end record";
    ZipDirectory directory{zip.u32(end + 16, what), zip.u32(end + 12, what), zip.u16(end + 10, what)};
    std::uint64_t directory_end = end;
    if (directory.count == 0xFFFF || directory.size == 0xFFFFFFFF || directory.offset == 0xFFFFFFFF) {
        directory = read_zip64_end(zip, end, directory_end);
    } else if (zip.u16(end + 4, what) != 0 || zip.u16(end + 6, what) != 0 ||
               zip.u16(end + 8, what) != directory.count) {
        zip.fail(end, "archives on several disks are not supported");
    }
    if (directory.offset > directory_end || directory.size > directory_end - directory.offset) {
        zip.fail(end, std::string("the central directory [") + std::to_string(directory.offset) + ", +" +
                          std::to_string(directory.size) + ") runs past its end record at byte " +
                          std::to_string(directory_end));
    }
    if (directory.count > directory.size / zip_directory_size) {
        zip.fail(end, std::to_string(directory.count) + " entries cannot fit a central directory of " +
                          std::to_string(directory.size) + " bytes");
    }
    return directory;
}

/// Replaces the entry's all-ones 32-bit fields by the zip64 extra field's.
inline void apply_zip64_extra(const ZipBytes& zip, ZipEntry& entry, std::uint64_t at, std::uint64_t end) {
    while (end - at >= 4) {
        const std::uint16_t id = zip.u16(at, "an extra field");
        const std::uint64_t size = zip.u16(at + 2, "an extra field");
        if (size > end - at - 4) {
            zip.fail(at, "an extra field of member '" + entry.name + "' runs past its record");
        }
        if (id == zip64_extra_id) {
            std::uint64_t field = at + 4;
            for (std::uint64_t* value : {&entry.uncompressed, &entry.compressed, &entry.local_offset}) {
                if (*value == 0xFFFFFFFF) {
                    if (at + 4 + size - field < 8) {
                        zip.fail(at, "the zip64 extra field of member '" + entry.name + "' is too short");
                    }
                    *value = zip.u64(field, "a zip64 extra field");
                    field += 8;
                }
            }
        }
        at += 4 + size;
    }
}

/// The central directory record at `at`; `at` moves past it.
inline ZipEntry read_zip_entry(const ZipBytes& zip, std::uint64_t& at, std::uint64_t directory_end) {
    const char* what = "a central directory record";
    if (zip.u32(at, what) != zip_directory_signature) {
        zip.fail(at, "a central directory record lacks its signature");
    }
    const std::uint64_t name_length = zip.u16(at + 28, what);
    const std::uint64_t extra_at = at + zip_directory_size + name_length;
    const std::uint64_t record_end = extra_at + zip.u16(at + 30, what) + zip.u16(at + 32, what);
    if (record_end > directory_end) {
        zip.fail(at, "a central directory record runs past the directory");
    }
    const auto name = zip.range(at + zip_directory_size, name_length, what);
    ZipEntry entry{std::string(reinterpret_cast<const char*>(name.data()), name.size()),
                   zip.u16(at + 10, what),
                   zip.u32(at + 16, what),
                   zip.u32(at + 20, what),
                   zip.u32(at + 24, what),
                   zip.u32(at + 42, what),
                   at,
                   0};
    apply_zip64_extra(zip, entry, extra_at, extra_at + zip.u16(at + 30, what));
    if ((zip.u16(at + 8, what) & zip_encrypted_flag) != 0) {
        zip.fail(at, "member '" + entry.name + "' is encrypted");
    }
    if (entry.method != zip_stored && entry.method != zip_deflated) {
        zip.fail(at, "member '" + entry.name + "' uses compression method " + std::to_string(entry.method) +
                         " (fedpp reads stored and deflate)");
    }
    at = record_end;
    return entry;
}

/// Finds the entry's data through its local header, which must lie before
/// the central directory at `directory_offset` and repeat the entry's name.
inline void locate_zip_data(const ZipBytes& zip, ZipEntry& entry, std::uint64_t directory_offset) {
    const std::uint64_t at = entry.local_offset;
    if (at > directory_offset || directory_offset - at < zip_local_size ||
        zip.u32(at, "a local header") != zip_local_signature) {
        zip.fail(entry.directory_at, "member '" + entry.name + "': no local header at byte " + std::to_string(at));
    }
    const std::uint64_t name_length = zip.u16(at + 26, "a local header");
    entry.data_at = at + zip_local_size + name_length + zip.u16(at + 28, "a local header");
    if (entry.data_at > directory_offset || entry.compressed > directory_offset - entry.data_at) {
        zip.fail(at, "member '" + entry.name + "': its data runs into the central directory");
    }
    const auto name = zip.range(at + zip_local_size, name_length, "a local header");
    if (name.size() != entry.name.size() || std::memcmp(name.data(), entry.name.data(), name.size()) != 0) {
        zip.fail(at + zip_local_size, "member '" + entry.name + "': the local header names another member");
    }
}

/// The entries of the directory, each with its data located; ZipError for
/// repeated names or members that overlap.
inline std::vector<ZipEntry> read_zip_directory(const ZipBytes& zip, const ZipDirectory& directory) {
    std::vector<ZipEntry> entries;
    std::set<std::string> names;
    std::uint64_t at = directory.offset;
    for (std::uint64_t i = 0; i < directory.count; ++i) {
        entries.push_back(read_zip_entry(zip, at, directory.offset + directory.size));
        locate_zip_data(zip, entries.back(), directory.offset);
        if (!names.insert(entries.back().name).second) {
            zip.fail(entries.back().directory_at, "two members are named '" + entries.back().name + "'");
        }
    }
    std::vector<const ZipEntry*> by_offset;
    for (const auto& entry : entries) {
        by_offset.push_back(&entry);
    }
    std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->local_offset < b->local_offset; });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
        if (by_offset[i]->local_offset < by_offset[i - 1]->data_at + by_offset[i - 1]->compressed) {
            zip.fail(by_offset[i]->local_offset,
                     "member '" + by_offset[i]->name + "' overlaps member '" + by_offset[i - 1]->name + "'");
        }
    }
    return entries;
}

/// The uncompressed, checksum-verified contents of a located entry.
inline Bytes zip_member_contents(const ZipBytes& zip, const ZipEntry& entry) {
    const auto data = zip.range(entry.data_at, entry.compressed, "member data");
    Bytes contents;
    if (entry.method == zip_stored) {
        if (entry.compressed != entry.uncompressed) {
            zip.fail(entry.directory_at, "stored member '" + entry.name + "' has different compressed (" +
                                             std::to_string(entry.compressed) + ") and uncompressed (" +
                                             std::to_string(entry.uncompressed) + ") sizes");
        }
        contents.assign(data.begin(), data.end());
    } else {
        if (entry.uncompressed / 1032 > entry.compressed) {
            zip.fail(entry.directory_at, "member '" + entry.name + "' announces " + std::to_string(entry.uncompressed) +
                                             " bytes from " + std::to_string(entry.compressed) +
                                             ", more than deflate can produce");
        }
        contents = inflate_raw(data, entry.uncompressed, zip.where(), static_cast<std::size_t>(entry.data_at),
                               "member '" + entry.name + "': ");
    }
    if (zip_crc32(contents) != entry.crc) {
        throw ChecksumError(zip.where(), static_cast<std::size_t>(entry.data_at),
                            "member '" + entry.name + "': CRC-32 mismatch (the member was altered or damaged)");
    }
    return contents;
}

/// The members of the zip file `file`, in directory order; `where` names
/// it in messages. Throws the errors listed above.
inline std::vector<ZipMember> read_zip(std::span<const std::byte> file, const std::string& where) {
    const ZipBytes zip(file, where);
    const ZipDirectory directory = read_zip_end(zip, find_zip_end(zip, file));
    std::vector<ZipMember> members;
    for (const auto& entry : read_zip_directory(zip, directory)) {
        members.push_back({entry.name, zip_member_contents(zip, entry), entry.directory_at});
    }
    return members;
}

} // namespace fedpp::io::detail
