// fedpp::io: writing a zip file (an .npz archive): local header and data
// for each member, then the central directory and its end record (see
// zip_records.hpp). Members are stored (numpy.savez's choice) or, on
// request, deflated; every member carries its CRC-32 and the fixed date
// 1980-01-01, so the same members give the same bytes. No zip64: an archive
// of 4 GiB or more, or of 65535 members or more, is an ArgumentError.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/io/deflate.hpp"
#include "fedpp/io/zip_records.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::io::detail {

class ZipWriter {
public:
    /// Appends a member named `name` holding `contents`.
    void add(const std::string& name, std::span<const std::byte> contents, bool deflate = false) {
        Entry entry{name, deflate ? zip_deflated : zip_stored, zip_crc32(contents), 0, contents.size(), out_.size()};
        const Bytes deflated = deflate ? deflate_raw(contents) : Bytes{};
        const std::span<const std::byte> data = deflate ? std::span<const std::byte>(deflated) : contents;
        entry.compressed = data.size();
        check_fits(name.size() <= 0xFFFF && entries_.size() < 0xFFFF, "names and member counts");
        check_fits(out_.size() + zip_local_size + name.size() + data.size() < 0xFFFFFFFF, "sizes and offsets");
        ByteWriter out(out_);
        out.write<std::uint32_t>(zip_local_signature);
        write_common_fields(out, entry);
        out.write<std::uint16_t>(0); // extra field length
        write_name(out, name);
        out.write_bytes(data);
        entries_.push_back(std::move(entry));
    }

    /// The archive: the members added, then the directory and end record.
    [[nodiscard]] Bytes finish() && {
        const std::uint64_t directory_at = out_.size();
        ByteWriter out(out_);
        for (const auto& entry : entries_) {
            out.write<std::uint32_t>(zip_directory_signature);
            out.write<std::uint16_t>(20); // version made by: 2.0, MS-DOS attributes
            write_common_fields(out, entry);
            out.write<std::uint16_t>(0); // extra field length
            out.write<std::uint16_t>(0); // comment length
            out.write<std::uint16_t>(0); // disk
            out.write<std::uint16_t>(0); // internal attributes
            out.write<std::uint32_t>(0); // external attributes
            out.write<std::uint32_t>(static_cast<std::uint32_t>(entry.local_offset));
            write_name(out, entry.name);
        }
        const std::uint64_t directory_size = out_.size() - directory_at;
        check_fits(out_.size() < 0xFFFFFFFF, "sizes and offsets");
        out.write<std::uint32_t>(zip_end_signature);
        out.write<std::uint16_t>(0); // this disk
        out.write<std::uint16_t>(0); // the directory's disk
        out.write<std::uint16_t>(static_cast<std::uint16_t>(entries_.size()));
        out.write<std::uint16_t>(static_cast<std::uint16_t>(entries_.size()));
        out.write<std::uint32_t>(static_cast<std::uint32_t>(directory_size));
        out.write<std::uint32_t>(static_cast<std::uint32_t>(directory_at));
        out.write<std::uint16_t>(0); // comment length
        return std::move(out_);
    }

private:
    struct Entry {
        std::string name;
        std::uint16_t method;
        std::uint32_t crc;
        std::uint64_t compressed;
        std::uint64_t uncompressed;
        std::uint64_t local_offset;
    };

    static void check_fits(bool fits, const char* what) {
        if (!fits) {
            throw ArgumentError(std::string("zip: the archive is too large for a zip without zip64 (") + what + ")");
        }
    }

    static bool is_ascii(const std::string& name) {
        for (const char c : name) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /// From "version needed" to the name length: the fields the local header
    /// and the directory record share.
    static void write_common_fields(ByteWriter& out, const Entry& entry) {
        out.write<std::uint16_t>(20); // version needed: 2.0 (deflate)
        out.write<std::uint16_t>(is_ascii(entry.name) ? 0 : zip_utf8_flag);
        out.write<std::uint16_t>(entry.method);
        out.write<std::uint16_t>(0); // time 00:00
        out.write<std::uint16_t>(zip_dos_date);
        out.write<std::uint32_t>(entry.crc);
        out.write<std::uint32_t>(static_cast<std::uint32_t>(entry.compressed));
        out.write<std::uint32_t>(static_cast<std::uint32_t>(entry.uncompressed));
        out.write<std::uint16_t>(static_cast<std::uint16_t>(entry.name.size()));
    }

    static void write_name(ByteWriter& out, const std::string& name) {
        out.write_bytes(std::as_bytes(std::span(name.data(), name.size())));
    }

    Bytes out_;
    std::vector<Entry> entries_;
};

} // namespace fedpp::io::detail
