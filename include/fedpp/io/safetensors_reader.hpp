// fedpp::io: reading safetensors files (see safetensors.hpp for the format).
//
// read_safetensors checks, in this order, and throws the first failure
// with its byte position in the file:
//   TruncatedError         fewer than 8 bytes; a header length beyond the file
//   HeaderError            the header is longer than 100 MB (the reference
//                          implementation's limit), does not start with '{',
//                          is not JSON or not an object, repeats a name, or
//                          an entry lacks or mistypes dtype / shape /
//                          data_offsets (or has other fields); __metadata__
//                          is not strings to strings
//   UnsupportedDtypeError  a dtype other than F32, F64, F16 and BF16
//   OffsetError            data_offsets reversed, past the end of the data,
//                          overlapping, or leaving bytes no tensor owns
//   SizeMismatchError      a shape whose elements do not fill data_offsets
// Memory: the parsed header and a copy of the data, both in proportion to
// the bytes present (the header at most 100 MB).
#pragma once

#include "fedpp/io/array.hpp"
#include "fedpp/io/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::io {

/// What a safetensors file holds: its arrays, in the order of their data,
/// and its "__metadata__" (strings to strings).
struct SafetensorsContents {
    std::vector<ArrayRecord> arrays;
    std::map<std::string, std::string> metadata;
};

namespace detail {

inline constexpr std::size_t safetensors_prefix = 8; // the header length, u64 little-endian
/// The reference implementation's limit on the header, which also bounds
/// the memory the parsed JSON takes.
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;

/// One tensor's header entry; offsets are relative to the data area.
struct SafetensorsEntry {
    std::string name;
    Dtype dtype = Dtype::f32;
    Shape shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

/// The JSON header's text, after the framing checks.
inline std::string_view safetensors_header_text(std::span<const std::byte> file, const std::string& where) {
    if (file.size() < safetensors_prefix) {
        throw TruncatedError(where, file.size(),
                             std::string("truncated: the file has ") + std::to_string(file.size()) +
                                 " bytes, fewer than the 8 of the header length");
    }
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < safetensors_prefix; ++i) {
        length |= std::to_integer<std::uint64_t>(file[i]) << (8 * i);
    }
    const std::size_t available = file.size() - safetensors_prefix;
    if (length > available) {
        throw TruncatedError(where, 0,
                             std::string("the header length ") + std::to_string(length) +
                                 " runs past the end of the file (" + std::to_string(available) +
                                 " bytes follow the length)");
    }
    if (length > safetensors_max_header) {
        throw HeaderError(where, 0,
                          std::string("the header length ") + std::to_string(length) + " exceeds the limit of " +
                              std::to_string(safetensors_max_header) + " bytes");
    }
    const std::string_view text(reinterpret_cast<const char*>(file.data()) + safetensors_prefix,
                                static_cast<std::size_t>(length));
    if (text.empty() || text.front() != '{') {
        throw HeaderError(where, safetensors_prefix, "the JSON header does not start with '{'");
    }
    return text;
}

/// The header as JSON; HeaderError for bad JSON or a name given twice.
inline nlohmann::json parse_safetensors_json(std::string_view text, const std::string& where) {
    std::set<std::string> names;
    std::optional<std::string> repeated;
    const auto check_names = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (depth == 1 && event == nlohmann::json::parse_event_t::key && parsed.is_string() && !repeated &&
            !names.insert(parsed.get_ref<const std::string&>()).second) {
            repeated = parsed.get<std::string>();
        }
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text.begin(), text.end(), check_names);
    } catch (const nlohmann::json::parse_error& e) {
        const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
        throw HeaderError(where, safetensors_prefix + at, std::string("the header is not valid JSON: ") + e.what());
    } catch (const nlohmann::json::exception& e) {
        // A number too large for a double (out_of_range 406), which comes
        // without a position.
        throw HeaderError(where, safetensors_prefix, std::string("the header is not valid JSON: ") + e.what());
    }
    if (repeated) {
        throw HeaderError(where, safetensors_prefix, "the header names '" + *repeated + "' twice");
    }
    if (!header.is_object()) {
        throw HeaderError(where, safetensors_prefix, "the header is not a JSON object");
    }
    return header;
}

/// A list of non-negative integers (a shape or data_offsets), or nothing.
inline std::optional<std::vector<std::uint64_t>> unsigned_list(const nlohmann::json& value) {
    if (!value.is_array()) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> numbers;
    numbers.reserve(value.size());
    for (const auto& item : value) {
        if (!item.is_number_unsigned()) {
            return std::nullopt;
        }
        numbers.push_back(item.get<std::uint64_t>());
    }
    return numbers;
}

[[noreturn]] inline void throw_entry_error(const std::string& where, const std::string& name, const std::string& what) {
    throw HeaderError(where, safetensors_prefix, "tensor '" + name + "': " + what);
}

inline SafetensorsEntry safetensors_entry(const std::string& name, const nlohmann::json& value,
                                          const std::string& where) {
    if (!value.is_object()) {
        throw_entry_error(where, name, "the entry is not a JSON object");
    }
    for (const auto& [key, ignored] : value.items()) {
        if (key != "dtype" && key != "shape" && key != "data_offsets") {
            throw_entry_error(where, name, "unknown field '" + key + "' (expected dtype, shape and data_offsets)");
        }
    }
    if (!value.contains("dtype") || !value["dtype"].is_string()) {
        throw_entry_error(where, name, "no \"dtype\" string");
    }
    const auto shape = value.contains("shape") ? unsigned_list(value["shape"]) : std::nullopt;
    if (!shape) {
        throw_entry_error(where, name, "no \"shape\" list of non-negative integers");
    }
    const auto offsets = value.contains("data_offsets") ? unsigned_list(value["data_offsets"]) : std::nullopt;
    if (!offsets || offsets->size() != 2) {
        throw_entry_error(where, name, "no \"data_offsets\" pair [begin, end] of non-negative integers");
    }
    const auto& dtype_text = value["dtype"].get_ref<const std::string&>();
    const auto dtype = dtype_from_safetensors(dtype_text);
    if (!dtype) {
        throw UnsupportedDtypeError(where, safetensors_prefix,
                                    "tensor '" + name + "': dtype \"" + dtype_text +
                                        "\" is not supported (fedpp reads F32, F64, F16 and BF16)");
    }
    return {name, *dtype, *shape, (*offsets)[0], (*offsets)[1]};
}

inline std::map<std::string, std::string> safetensors_metadata(const nlohmann::json& value, const std::string& where) {
    std::map<std::string, std::string> metadata;
    if (!value.is_object()) {
        throw HeaderError(where, safetensors_prefix, "__metadata__ is not a JSON object");
    }
    for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) {
            throw HeaderError(where, safetensors_prefix, "__metadata__ value '" + key + "' is not a string");
        }
        metadata.emplace(key, text.get<std::string>());
    }
    return metadata;
}

/// Checks the entries' offsets and sizes against a data area of `size`
/// bytes starting at file byte `data_at`; sorts them by offset.
inline void check_safetensors_layout(std::vector<SafetensorsEntry>& entries, std::uint64_t size, std::size_t data_at,
                                     const std::string& where) {
    for (const auto& e : entries) {
        const std::string tensor = "tensor '" + e.name + "': ";
        const std::string range = std::string("[") + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
        if (e.begin > e.end || e.end > size) {
            throw OffsetError(where, data_at + static_cast<std::size_t>(std::min(e.begin, size)),
                              tensor + "data_offsets " + range + " are out of range (the data has " +
                                  std::to_string(size) + " bytes)");
        }
        const auto needed = byte_count(e.shape, e.dtype);
        if (!needed || *needed != e.end - e.begin) {
            throw SizeMismatchError(where, data_at + static_cast<std::size_t>(e.begin),
                                    tensor + std::string(safetensors_dtype(e.dtype)) + " of shape " +
                                        shape_text(e.shape) + " does not fill data_offsets " + range + " (" +
                                        std::to_string(e.end - e.begin) + " bytes)");
        }
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    std::uint64_t next = 0;
    const SafetensorsEntry* previous = nullptr;
    for (const auto& e : entries) {
        if (e.begin < next) {
            throw OffsetError(where, data_at + static_cast<std::size_t>(e.begin),
                              "tensor '" + e.name + "' overlaps tensor '" + previous->name + "'");
        }
        if (e.begin > next) {
            throw OffsetError(where, data_at + static_cast<std::size_t>(next),
                              std::string("data bytes [") + std::to_string(next) + ", " + std::to_string(e.begin) +
                                  ") belong to no tensor");
        }
        next = e.end;
        previous = &e;
    }
    if (next != size) {
        throw OffsetError(where, data_at + static_cast<std::size_t>(next),
                          std::string("data bytes [") + std::to_string(next) + ", " + std::to_string(size) +
                              ") belong to no tensor");
    }
}

} // namespace detail

/// The arrays and metadata of the safetensors file `file` (its bytes);
/// `where` names it in error messages. Throws the errors listed above.
[[nodiscard]] inline SafetensorsContents read_safetensors(std::span<const std::byte> file, const std::string& where) {
    const std::string_view text = detail::safetensors_header_text(file, where);
    const nlohmann::json header = detail::parse_safetensors_json(text, where);
    SafetensorsContents contents;
    std::vector<detail::SafetensorsEntry> entries;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            contents.metadata = detail::safetensors_metadata(value, where);
        } else {
            entries.push_back(detail::safetensors_entry(name, value, where));
        }
    }
    const std::size_t data_at = detail::safetensors_prefix + text.size();
    const auto data = file.subspan(data_at);
    detail::check_safetensors_layout(entries, data.size(), data_at, where);
    contents.arrays.reserve(entries.size());
    for (auto& e : entries) {
        const auto bytes = data.subspan(static_cast<std::size_t>(e.begin), static_cast<std::size_t>(e.end - e.begin));
        contents.arrays.push_back({std::move(e.name), e.dtype, std::move(e.shape), Bytes(bytes.begin(), bytes.end())});
    }
    return contents;
}

} // namespace fedpp::io
