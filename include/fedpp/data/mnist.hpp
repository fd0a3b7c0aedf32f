// fedpp: data::load_mnist, MNIST from its original gzip-compressed IDX files
// (data/mnist/ in the fedpp repository).
//
// Needs zlib: link the CMake target fedpp::datasets (not fedpp::fedpp).
//
// IDX (after gunzip): a big-endian int32 magic number 0x000008NN (unsigned
// bytes, NN dimensions), NN big-endian int32 sizes, then the bytes, last
// dimension fastest. Images: magic 2051, count, rows, columns. Labels: magic
// 2049, count. Everything the header claims is checked against the length of
// the decompressed data before anything is allocated from it.
#pragma once

#include "fedpp/data/dataset.hpp"
#include "fedpp/data/gzip.hpp"
#include "fedpp/errors.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace fedpp::data {

inline constexpr std::int32_t mnist_class_count = 10;

} // namespace fedpp::data

namespace fedpp::detail {

inline constexpr std::uint32_t idx_images_magic = 0x00000803; // 2051: unsigned bytes, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801; // 2049: unsigned bytes, 1 dimension

inline std::string hex32(std::uint32_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text = "0x00000000";
    for (int i = 9; i >= 2; --i) {
        text[static_cast<std::size_t>(i)] = digits[value & 0xFu];
        value >>= 4;
    }
    return text;
}

/// The big-endian 32-bit word at byte `at`, which the caller has checked is
/// within `bytes`.
inline std::uint32_t read_big_endian_u32(const std::vector<unsigned char>& bytes, std::size_t at) {
    return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
           (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

/// The checked header of an IDX file of unsigned bytes.
struct IdxHeader {
    std::vector<std::uint64_t> sizes; // one per dimension, the item count first
    std::size_t data_offset = 0;      // where the values start
};

/// Checks the IDX header of `bytes` (the decompressed file `name`): the
/// magic number, `dimension_names.size()` sizes that are non-negative
/// int32s (all but the first positive), and a data length of exactly the
/// product of the sizes. DataFormatError with the byte offset otherwise.
/// `kind` ("image", "label") and `other_kind_magic` only improve messages.
inline IdxHeader check_idx_header(const std::vector<unsigned char>& bytes, const std::string& name,
                                  std::uint32_t expected_magic, const std::vector<std::string>& dimension_names,
                                  const std::string& kind, std::uint32_t other_kind_magic,
                                  const std::string& other_kind) {
    const std::size_t header_size = 4 * (1 + dimension_names.size());
    const auto truncated_header = [&] {
        return DataFormatError(name + ": byte " + std::to_string(bytes.size()) + ": truncated: an IDX " + kind +
                               " file starts with a header of " + std::to_string(header_size) +
                               " bytes, but the decompressed data has only " + std::to_string(bytes.size()) +
                               " bytes");
    };
    if (bytes.size() < 4) {
        throw truncated_header();
    }
    const std::uint32_t magic = read_big_endian_u32(bytes, 0);
    if (magic != expected_magic) {
        std::string message = name + ": byte 0: magic number " + std::to_string(magic) + " (" + hex32(magic) +
                              "), expected " + std::to_string(expected_magic) + " (" + hex32(expected_magic) +
                              ") for an IDX " + kind + " file";
        if (magic == other_kind_magic) {
            message += "; this is an IDX " + other_kind + " file: are the image and label paths swapped?";
        }
        throw DataFormatError(message);
    }
    if (bytes.size() < header_size) {
        throw truncated_header();
    }

    IdxHeader header;
    header.data_offset = header_size;
    for (std::size_t d = 0; d < dimension_names.size(); ++d) {
        const std::size_t at = 4 * (1 + d);
        const std::uint32_t raw = read_big_endian_u32(bytes, at);
        // The sizes are int32 in the format; a top bit set is a negative size.
        if (raw > 0x7fffffffu) {
            throw DataFormatError(name + ": byte " + std::to_string(at) + ": the " + dimension_names[d] + " is " +
                                  std::to_string(static_cast<std::int64_t>(raw) - (std::int64_t{1} << 32)) +
                                  ", negative");
        }
        if (d > 0 && raw == 0) {
            throw DataFormatError(name + ": byte " + std::to_string(at) + ": the " + dimension_names[d] +
                                  " is 0; it must be positive");
        }
        header.sizes.push_back(raw);
    }

    // Each size is below 2^31 and there are at most two after the count, so
    // item_size < 2^62 cannot overflow; the count is compared by division.
    std::uint64_t item_size = 1;
    std::string item_shape;
    for (std::size_t d = 1; d < header.sizes.size(); ++d) {
        item_size *= header.sizes[d];
        item_shape += (d == 1 ? " of " : "x") + std::to_string(header.sizes[d]);
    }
    const std::uint64_t count = header.sizes[0];
    const std::uint64_t available = bytes.size() - header_size;
    const std::string announced = std::to_string(count) + " " + kind + "s" + item_shape;
    if (available / item_size < count) {
        const bool beyond_64_bits = count > std::numeric_limits<std::uint64_t>::max() / item_size;
        throw DataFormatError(name + ": byte " + std::to_string(bytes.size()) + ": truncated: the header announces " +
                              announced + ", but the data after the header holds only " +
                              std::to_string(available) + " of the " +
                              (beyond_64_bits ? std::string("more than 2^64") : std::to_string(count * item_size)) +
                              " bytes they need");
    }
    const std::uint64_t needed = count * item_size;
    if (available > needed) {
        throw DataFormatError(name + ": byte " + std::to_string(header_size + needed) + ": " +
                              std::to_string(available - needed) + " unexpected bytes after the last of the " +
                              announced + " the header announces");
    }
    return header;
}

} // namespace fedpp::detail

namespace fedpp::data {

/// MNIST (or any data set in its format) from the gzip-compressed IDX files
/// `images_path` (magic 2051: count, rows, columns, then the pixels) and
/// `labels_path` (magic 2049: count, then the labels). The fedpp repository
/// ships the original files in data/mnist/: train-images-idx3-ubyte.gz with
/// train-labels-idx1-ubyte.gz (60,000 examples) and t10k-images-idx3-ubyte.gz
/// with t10k-labels-idx1-ubyte.gz (10,000).
///
/// Features are the pixel bytes divided by 255, so in [0, 1]; one row per
/// image, rows x columns features in the file's row-major order (784 for
/// MNIST's 28x28); 10 classes. Examples keep the files' order.
///
/// DataFormatError, naming the file and the byte offset (in the
/// decompressed data, or in the compressed file for gzip problems), for a
/// file that cannot be read or decompressed (see detail::read_gzip_file), a
/// wrong magic number, a truncated header, a negative size or zero rows or
/// columns, data shorter or longer than the header says, a label outside
/// 0..9, or image and label files with different counts.
template <class T = float>
Dataset<T> load_mnist(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
    static_assert(std::is_floating_point_v<T>, "fedpp::data::load_mnist<T>: T must be float or double");
    const std::string images_name = images_path.string();
    const std::string labels_name = labels_path.string();

    // Labels first: the smaller file, so a bad label file fails fast.
    const std::vector<unsigned char> label_bytes = detail::read_gzip_file(labels_path);
    const detail::IdxHeader label_header =
        detail::check_idx_header(label_bytes, labels_name, detail::idx_labels_magic, {"label count"}, "label",
                                 detail::idx_images_magic, "image");
    const std::vector<unsigned char> image_bytes = detail::read_gzip_file(images_path);
    const detail::IdxHeader image_header =
        detail::check_idx_header(image_bytes, images_name, detail::idx_images_magic,
                                 {"image count", "row count", "column count"}, "image", detail::idx_labels_magic,
                                 "label");

    const std::uint64_t count = image_header.sizes[0];
    if (label_header.sizes[0] != count) {
        throw DataFormatError(images_name + ": byte 4: " + std::to_string(count) + " images, but " + labels_name +
                              ": byte 4: " + std::to_string(label_header.sizes[0]) +
                              " labels; the counts must match");
    }

    std::vector<std::int32_t> labels(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::size_t at = label_header.data_offset + i;
        const unsigned label = label_bytes[at];
        if (label >= static_cast<unsigned>(mnist_class_count)) {
            throw DataFormatError(labels_name + ": byte " + std::to_string(at) + ": label " + std::to_string(label) +
                                  " of example " + std::to_string(i) + " is outside 0.." +
                                  std::to_string(mnist_class_count - 1));
        }
        labels[i] = static_cast<std::int32_t>(label);
    }

    const auto pixel_count = static_cast<Index>(image_header.sizes[1] * image_header.sizes[2]);
    // Sizes were checked against the bytes actually present, so this
    // allocation is proportional to the file, whatever its header said.
    detail::Matrix<T> features(static_cast<Index>(count), pixel_count);
    const unsigned char* pixels = image_bytes.data() + image_header.data_offset;
    T* out = features.data(); // row-major, like the file
    const Index total = features.size();
    for (Index i = 0; i < total; ++i) {
        out[i] = static_cast<T>(pixels[i]) / static_cast<T>(255);
    }
    return Dataset<T>(std::move(features), std::move(labels), mnist_class_count);
}

} // namespace fedpp::data
