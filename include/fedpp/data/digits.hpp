// fedpp: data::load_digits, the UCI "Optical Recognition of Handwritten
// Digits" set (data/digits/digits.csv.gz in the fedpp repository).
//
// Needs zlib: link the CMake target fedpp::loaders.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/data/gzip.hpp"

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

/// The value of one CSV field of line `where`, field `field` (1-based):
/// pixels for the first 64 fields, the label last. DataFormatError for an
/// empty, non-integer or out-of-range field.
inline int digits_field(std::string_view token, const std::string& where, std::size_t field) {
    constexpr std::size_t field_count = data::digits_pixel_count + 1;
    const std::string at = where + ", field " + std::to_string(field);
    if (token.empty()) {
        throw DataFormatError(at + ": empty field");
    }
    // from_chars: no locale, no leading whitespace or '+', and we require it
    // to consume the whole field ("3x", "1.0" are errors).
    int value = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (error == std::errc::result_out_of_range) {
        throw DataFormatError(at + ": " + quote_field(token) + " is out of range");
    }
    if (error != std::errc{} || end != token.data() + token.size()) {
        throw DataFormatError(at + ": " + quote_field(token) + " is not an integer");
    }
    if (field < field_count && (value < 0 || value > data::digits_max_pixel)) {
        throw DataFormatError(at + ": pixel value " + std::to_string(value) + " is outside 0.." +
                              std::to_string(data::digits_max_pixel));
    }
    if (field == field_count && (value < 0 || value >= data::digits_class_count)) {
        throw DataFormatError(at + ": label " + std::to_string(value) + " is outside 0.." +
                              std::to_string(data::digits_class_count - 1));
    }
    return value;
}

/// Rows of the digits CSV, parsed one line at a time: pixels go into a
/// vector that grows with the rows actually read, never into a matrix
/// sized from a count of lines.
template <class T>
class DigitsParser {
public:
    explicit DigitsParser(std::string name) : name_(std::move(name)) {}

    /// Line `line` (1-based number `number`, without its line break).
    void line(std::string_view line, std::size_t number) {
        constexpr std::size_t field_count = data::digits_pixel_count + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1); // tolerate Windows line endings
        }
        const std::string where = name_ + ": line " + std::to_string(number);
        if (line.empty()) {
            throw DataFormatError(where + ": empty line (expected " + std::to_string(field_count) +
                                  " comma-separated integers)");
        }
        const auto fields_in_line = static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
        if (fields_in_line != field_count) {
            throw DataFormatError(where + ": " + std::to_string(fields_in_line) + " fields, expected " +
                                  std::to_string(field_count) + " (" + std::to_string(data::digits_pixel_count) +
                                  " pixel values, then the label)");
        }
        std::size_t field_start = 0;
        for (std::size_t field = 1; field <= field_count; ++field) {
            const std::size_t comma = line.find(',', field_start);
            const std::size_t field_end = comma == std::string_view::npos ? line.size() : comma;
            const int value = digits_field(line.substr(field_start, field_end - field_start), where, field);
            field_start = field_end + 1;
            if (field < field_count) {
                pixels_.push_back(static_cast<T>(value) / static_cast<T>(data::digits_max_pixel));
            } else {
                labels_.push_back(value);
            }
        }
    }

    /// The data set of every line parsed; DataFormatError if there was none.
    data::Dataset<T> finish() {
        if (labels_.empty()) {
            throw DataFormatError(name_ + ": no rows (the decompressed file is empty)");
        }
        Matrix<T> features(static_cast<Index>(labels_.size()), data::digits_pixel_count);
        std::copy(pixels_.begin(), pixels_.end(), features.data()); // both row-major
        return data::Dataset<T>(std::move(features), std::move(labels_), data::digits_class_count,
                                ImageShape{1, 8, 8});
    }

private:
    std::string name_;
    std::vector<T> pixels_;
    std::vector<std::int32_t> labels_;
};

/// The longest line the digits reader accepts: 65 fields of a few digits
/// need about 200 characters; a file without line breaks is not read to its
/// end before it is rejected.
inline constexpr std::size_t digits_max_line = 4096;

/// The digits CSV in the gzip file `path`, parsed as it is decompressed.
template <class T>
data::Dataset<T> read_digits_csv(const std::filesystem::path& path) {
    GzipStream stream(path);
    DigitsParser<T> parser(stream.name());
    std::string pending; // the start of a line whose end is not read yet
    std::vector<unsigned char> chunk(std::size_t{1} << 16);
    std::size_t line_number = 0;
    while (const std::size_t got = stream.read(chunk)) {
        // Reading unsigned char storage through char is allowed.
        pending.append(reinterpret_cast<const char*>(chunk.data()), got);
        std::size_t start = 0;
        for (std::size_t end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
            parser.line(std::string_view(pending).substr(start, end - start), ++line_number);
            start = end + 1;
        }
        pending.erase(0, start);
        if (pending.size() > digits_max_line) {
            throw DataFormatError(stream.name() + ": line " + std::to_string(line_number + 1) + ": longer than " +
                                  std::to_string(digits_max_line) + " characters (not a digits CSV file?)");
        }
    }
    if (!pending.empty()) {
        parser.line(pending, ++line_number); // the last line, without a final line break
    }
    return parser.finish();
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
/// exactly for 0 and 16); 64 columns, image shape 1x8x8; 10 classes. Rows keep the file's order.
///
/// DataFormatError, naming the file and the line and field (1-based), for
/// a file that cannot be read or decompressed (see detail::GzipStream),
/// an empty line or file, a row without exactly 65 fields, an empty or
/// non-integer field, a pixel outside 0..16 or a label outside 0..9. Any
/// number of well-formed rows is accepted: check size() if you need all 1,797.
template <class T = float>
Dataset<T> load_digits(const std::filesystem::path& path) {
    static_assert(std::is_floating_point_v<T>, "fedpp::data::load_digits<T>: T must be float or double");
    return detail::read_digits_csv<T>(path);
}

} // namespace fedpp::data
