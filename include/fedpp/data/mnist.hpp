// fedpp: data::load_mnist, MNIST from its original gzip-compressed IDX files
// (data/mnist/ in the fedpp repository).
//
// Needs zlib: link the CMake target fedpp::loaders.
//
// IDX (after gunzip): a big-endian int32 magic number 0x000008NN (unsigned
// bytes, NN dimensions), NN big-endian int32 sizes, then the bytes, last
// dimension fastest. Images: magic 2051, count, rows, columns. Labels: magic
// 2049, count. Everything the header claims is checked against the length of
// the decompressed data before anything is allocated from it.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/data/gzip.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
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
inline std::uint32_t read_big_endian_u32(std::span<const unsigned char> bytes, std::size_t at) {
    return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
           (std::uint32_t{bytes[at + 2]} << 8) | std::uint32_t{bytes[at + 3]};
}

/// What an IDX file of unsigned bytes holds: its sizes (one per dimension,
/// the item count first) and its data.
struct IdxFile {
    std::vector<std::uint64_t> sizes;
    std::vector<unsigned char> data;
};

/// What the loader expects of one IDX file: its magic number, the names of
/// its dimensions, and (only to improve messages) what it is and what the
/// other file of the pair is.
struct IdxExpectation {
    std::uint32_t magic;
    std::vector<std::string> dimension_names;
    std::string kind;
    std::uint32_t other_kind_magic;
    std::string other_kind;
};

/// Reads and checks an IDX header from the start of `stream`: the magic
/// number, then one non-negative int32 size per dimension (all but the first
/// positive). DataFormatError with the byte offset otherwise.
inline std::vector<std::uint64_t> read_idx_header(GzipStream& stream, const IdxExpectation& expected) {
    const std::string& name = stream.name();
    const std::size_t header_size = 4 * (1 + expected.dimension_names.size());
    std::vector<unsigned char> header(header_size);
    const std::size_t got = stream.read(header);
    const auto truncated_header = [&] {
        return DataFormatError(name + ": byte " + std::to_string(got) + ": truncated: an IDX " + expected.kind +
                               " file starts with a header of " + std::to_string(header_size) +
                               " bytes, but the decompressed data has only " + std::to_string(got) + " bytes");
    };
    if (got < 4) {
        throw truncated_header();
    }
    const std::uint32_t magic = read_big_endian_u32(header, 0);
    if (magic != expected.magic) {
        std::string message = name + ": byte 0: magic number " + std::to_string(magic) + " (" + hex32(magic) +
                              "), expected " + std::to_string(expected.magic) + " (" + hex32(expected.magic) +
                              ") for an IDX " + expected.kind + " file";
        if (magic == expected.other_kind_magic) {
            message += "; this is an IDX " + expected.other_kind + " file: are the image and label paths swapped?";
        }
        throw DataFormatError(message);
    }
    if (got < header_size) {
        throw truncated_header();
    }
    std::vector<std::uint64_t> sizes;
    for (std::size_t d = 0; d < expected.dimension_names.size(); ++d) {
        const std::size_t at = 4 * (1 + d);
        const std::uint32_t raw = read_big_endian_u32(header, at);
        const std::string& what = expected.dimension_names[d];
        // The sizes are int32 in the format; a top bit set is a negative size.
        if (raw > 0x7fffffffu) {
            throw DataFormatError(name + ": byte " + std::to_string(at) + ": the " + what + " is " +
                                  std::to_string(static_cast<std::int64_t>(raw) - (std::int64_t{1} << 32)) +
                                  ", negative");
        }
        if (d > 0 && raw == 0) {
            throw DataFormatError(name + ": byte " + std::to_string(at) + ": the " + what +
                                  " is 0; it must be positive");
        }
        sizes.push_back(raw);
    }
    return sizes;
}

/// Reads the data an IDX header announces from `stream` (right after the
/// header): exactly count x item bytes, and then nothing more. Inflates at
/// most what the header allows (and a little more, to report data beyond
/// it), and holds only what the file actually has.
inline std::vector<unsigned char> read_idx_data(GzipStream& stream, const std::vector<std::uint64_t>& sizes,
                                                const std::string& kind) {
    const std::string& name = stream.name();
    const std::uint64_t header_size = stream.position();
    // Each size is below 2^31 and there are at most two after the count, so
    // item_size < 2^62 cannot overflow; count * item_size may.
    std::uint64_t item_size = 1;
    std::string item_shape;
    for (std::size_t d = 1; d < sizes.size(); ++d) {
        item_size *= sizes[d];
        item_shape += (d == 1 ? " of " : "x") + std::to_string(sizes[d]);
    }
    const std::uint64_t count = sizes[0];
    const bool beyond_64_bits = count > std::numeric_limits<std::uint64_t>::max() / item_size;
    const std::uint64_t needed = beyond_64_bits ? std::numeric_limits<std::uint64_t>::max() : count * item_size;
    const std::string announced = std::to_string(count) + " " + kind + "s" + item_shape;

    std::vector<unsigned char> data;
    std::vector<unsigned char> chunk(std::size_t{1} << 20);
    while (data.size() < needed) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), needed - data.size()));
        const std::size_t got = stream.read(std::span(chunk).first(want));
        data.insert(data.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
        if (got < want) {
            throw DataFormatError(name + ": byte " + std::to_string(header_size + data.size()) +
                                  ": truncated: the header announces " + announced +
                                  ", but the data after the header holds only " + std::to_string(data.size()) +
                                  " of the " + (beyond_64_bits ? std::string("more than 2^64") : std::to_string(needed)) +
                                  " bytes they need");
        }
    }
    if (const std::size_t extra = stream.read(std::span(chunk).first(std::size_t{1} << 16)); extra != 0) {
        const std::string how_many = extra < (std::size_t{1} << 16) ? std::to_string(extra) : "more than 65535";
        throw DataFormatError(name + ": byte " + std::to_string(header_size + needed) + ": " + how_many +
                              " unexpected bytes after the last of the " + announced + " the header announces");
    }
    return data;
}

/// The header and data of the IDX file at `path`; DataFormatError for a
/// file that is not what `expected` says (see read_idx_header and
/// read_idx_data) or not a good gzip file.
inline IdxFile read_idx_file(const std::filesystem::path& path, const IdxExpectation& expected) {
    GzipStream stream(path);
    IdxFile file;
    file.sizes = read_idx_header(stream, expected);
    file.data = read_idx_data(stream, file.sizes, expected.kind);
    return file;
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
/// MNIST's 28x28), with the image shape 1 x rows x columns, so the features
/// are the N x 1 x 28 x 28 batch a convolution takes, uncopied
/// (Dataset::image_shape()); 10 classes. Examples keep the files' order.
///
/// DataFormatError, naming the file and the byte offset (in the
/// decompressed data, or in the compressed file for gzip problems), for a
/// file that cannot be read or decompressed (see detail::GzipStream), a
/// wrong magic number, a truncated header, a negative size or zero rows or
/// columns, data shorter or longer than the header says, a label outside
/// 0..9, or image and label files with different counts.
template <class T = float>
Dataset<T> load_mnist(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
    static_assert(std::is_floating_point_v<T>, "fedpp::data::load_mnist<T>: T must be float or double");
    const std::string images_name = images_path.string();
    const std::string labels_name = labels_path.string();

    // Labels first: the smaller file, so a bad label file fails fast.
    const detail::IdxFile label_file = detail::read_idx_file(
        labels_path, {detail::idx_labels_magic, {"label count"}, "label", detail::idx_images_magic, "image"});
    const detail::IdxFile image_file =
        detail::read_idx_file(images_path, {detail::idx_images_magic, {"image count", "row count", "column count"},
                                            "image", detail::idx_labels_magic, "label"});
    const std::uint64_t count = image_file.sizes[0];
    if (label_file.sizes[0] != count) {
        throw DataFormatError(images_name + ": byte 4: " + std::to_string(count) + " images, but " + labels_name +
                              ": byte 4: " + std::to_string(label_file.sizes[0]) + " labels; the counts must match");
    }
    constexpr std::size_t label_offset = 8; // after the magic number and the count
    std::vector<std::int32_t> labels(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const unsigned label = label_file.data[i];
        if (label >= static_cast<unsigned>(mnist_class_count)) {
            throw DataFormatError(labels_name + ": byte " + std::to_string(label_offset + i) + ": label " +
                                  std::to_string(label) + " of example " + std::to_string(i) + " is outside 0.." +
                                  std::to_string(mnist_class_count - 1));
        }
        labels[i] = static_cast<std::int32_t>(label);
    }
    const auto pixel_count = static_cast<Index>(image_file.sizes[1] * image_file.sizes[2]);
    // The data was read, so this allocation is proportional to the file,
    // whatever its header said.
    Matrix<T> features(static_cast<Index>(count), pixel_count);
    T* out = features.data(); // row-major, like the file
    for (Index i = 0; i < features.size(); ++i) {
        out[i] = static_cast<T>(image_file.data[static_cast<std::size_t>(i)]) / static_cast<T>(255);
    }
    const ImageShape shape{1, static_cast<Index>(image_file.sizes[1]), static_cast<Index>(image_file.sizes[2])};
    return Dataset<T>(std::move(features), std::move(labels), mnist_class_count, shape);
}

} // namespace fedpp::data
