// fedpp: data::load_digits, the UCI "Optical Recognition of Handwritten
// Digits" set (data/digits/digits.csv.gz in the fedpp repository).
//
// Needs zlib: link the CMake target fedpp::datasets (not fedpp::fedpp).
#pragma once

#include "fedpp/data/dataset.hpp"
#include "fedpp/data/gzip.hpp"
#include "fedpp/errors.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace fedpp::data {

/// The digits CSV format: 8x8 images of 0..16 "on" counts, then a label.
inline constexpr Index digits_pixel_count = 64;
inline constexpr int digits_max_pixel = 16;
inline constexpr std::int32_t digits_class_count = 10;

} // namespace fedpp::data

namespace fedpp::detail {

/// A field for an error message: quoted, and cut short if long (a binary
/// file read as CSV can have a "field" of megabytes).
inline std::string quote_field(std::string_view field) {
    constexpr std::size_t shown = 32;
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on
    // "'" + std::string(...).
    std::string text(1, '\'');
    text.append(field.substr(0, shown));
    if (field.size() <= shown) {
        text += '\'';
    } else {
        text.append("...' (").append(std::to_string(field.size())).append(" characters)");
    }
    return text;
}

/// `text` (the decompressed file) as a digits data set; `name` names the file
/// in error messages, which give the 1-based line and field.
template <class T>
data::Dataset<T> parse_digits_csv(std::string_view text, const std::string& name) {
    constexpr std::size_t field_count = data::digits_pixel_count + 1;
    // Pixels go into a vector that grows with the rows actually read, not
    // into a matrix sized from a count of lines: a file of a million empty
    // lines must fail at line 2, not allocate first.
    std::vector<T> pixels;
    std::vector<std::int32_t> labels;

    std::size_t line_number = 0;
    std::size_t line_start = 0;
    while (line_start < text.size()) {
        ++line_number;
        std::size_t line_end = text.find('\n', line_start);
        const std::size_t next_start = line_end == std::string_view::npos ? text.size() : line_end + 1;
        if (line_end == std::string_view::npos) {
            line_end = text.size();
        }
        std::string_view line = text.substr(line_start, line_end - line_start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1); // tolerate Windows line endings
        }
        const std::string where = name + ": line " + std::to_string(line_number);
        if (line.empty()) {
            throw DataFormatError(where + ": empty line (expected " + std::to_string(field_count) +
                                  " comma-separated integers)");
        }

        std::size_t fields_in_line = 1;
        for (const char c : line) {
            fields_in_line += c == ',' ? 1 : 0;
        }
        if (fields_in_line != field_count) {
            throw DataFormatError(where + ": " + std::to_string(fields_in_line) + " fields, expected " +
                                  std::to_string(field_count) + " (" + std::to_string(data::digits_pixel_count) +
                                  " pixel values, then the label)");
        }

        std::size_t field_start = 0;
        for (std::size_t field = 1; field <= field_count; ++field) {
            const std::size_t comma = line.find(',', field_start);
            const std::size_t field_end = comma == std::string_view::npos ? line.size() : comma;
            const std::string_view token = line.substr(field_start, field_end - field_start);
            field_start = field_end + 1;

            const std::string at = where + ", field " + std::to_string(field);
            if (token.empty()) {
                throw DataFormatError(at + ": empty field");
            }
            // from_chars: no locale, no leading whitespace or '+', and we
            // require it to consume the whole field ("3x", "1.0" are errors).
            int value = 0;
            const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
            if (error == std::errc::result_out_of_range) {
                throw DataFormatError(at + ": " + quote_field(token) + " is out of range");
            }
            if (error != std::errc{} || end != token.data() + token.size()) {
                throw DataFormatError(at + ": " + quote_field(token) + " is not an integer");
            }
            if (field < field_count) {
                if (value < 0 || value > data::digits_max_pixel) {
                    throw DataFormatError(at + ": pixel value " + std::to_string(value) + " is outside 0.." +
                                          std::to_string(data::digits_max_pixel));
                }
                pixels.push_back(static_cast<T>(value) / static_cast<T>(data::digits_max_pixel));
            } else {
                if (value < 0 || value >= data::digits_class_count) {
                    throw DataFormatError(at + ": label " + std::to_string(value) + " is outside 0.." +
                                          std::to_string(data::digits_class_count - 1));
                }
                labels.push_back(value);
            }
        }
        line_start = next_start;
    }
    if (labels.empty()) {
        throw DataFormatError(name + ": no rows (the decompressed file is empty)");
    }

    const auto rows = static_cast<Index>(labels.size());
    Matrix<T> features(rows, data::digits_pixel_count);
    std::copy(pixels.begin(), pixels.end(), features.data()); // both row-major
    return data::Dataset<T>(std::move(features), std::move(labels), data::digits_class_count);
}

} // namespace fedpp::detail

namespace fedpp::data {

/// The UCI handwritten digits in the gzip-compressed CSV at `path`: one
/// example per line, 64 integer pixel values in 0..16 (an 8x8 image,
/// row-major) then the label 0..9, comma-separated, no header; `\n` or
/// `\r\n` line endings, the last line's newline optional. The fedpp
/// repository ships the 1,797-example file as data/digits/digits.csv.gz.
///
/// Features are the pixel values divided by 16, so in [0, 1] (0 and 1
/// exactly for 0 and 16); 64 columns; 10 classes. Rows keep the file's order.
///
/// DataFormatError, naming the file and the line and field (1-based), for
/// a file that cannot be read or decompressed (see detail::read_gzip_file),
/// an empty line or file, a row without exactly 65 fields, an empty or
/// non-integer field, a pixel outside 0..16 or a label outside 0..9. Any
/// number of well-formed rows is accepted: check size() if you need all 1,797.
template <class T = float>
Dataset<T> load_digits(const std::filesystem::path& path) {
    static_assert(std::is_floating_point_v<T>, "fedpp::data::load_digits<T>: T must be float or double");
    const std::vector<unsigned char> bytes = detail::read_gzip_file(path);
    // Reading unsigned char storage through char is allowed (char may alias anything).
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return detail::parse_digits_csv<T>(text, path.string());
}

} // namespace fedpp::data
