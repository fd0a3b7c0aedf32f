// libFuzzer target: data::load_mnist (gzip + IDX header and data checks).
// The input holds both files: after the mode byte (see memory_file.hpp), a
// 16-bit little-endian length of the label file, the label file, then the
// image file. Any input must load or throw fedpp::DataFormatError.
#include "memory_file.hpp"

#include <fedpp/loaders.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    const std::uint8_t mode = data[0];
    const std::size_t label_length = std::min<std::size_t>(data[1] | (std::size_t{data[2]} << 8), size - 3);
    const std::span<const std::uint8_t> labels(data + 3, label_length);
    const std::span<const std::uint8_t> images(data + 3 + label_length, size - 3 - label_length);
    auto framed = [mode](std::span<const std::uint8_t> part) {
        std::vector<std::uint8_t> with_mode{mode};
        with_mode.insert(with_mode.end(), part.begin(), part.end());
        return fuzzing::file_for(with_mode);
    };
    const fuzzing::MemoryFile label_file(framed(labels));
    const fuzzing::MemoryFile image_file(framed(images));
    try {
        const auto mnist = fedpp::data::load_mnist<float>(image_file.path(), label_file.path());
        (void)mnist.size();
    } catch (const fedpp::DataFormatError&) {
    }
    return 0;
}
