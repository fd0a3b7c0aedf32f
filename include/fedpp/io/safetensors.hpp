// fedpp::io: models in and out as safetensors files, the format Hugging
// Face and many PyTorch users exchange weights in.
//
//     fedpp::io::save_safetensors("model.safetensors", model);
//     fedpp::io::load_safetensors("model.safetensors", model);  // in place
//
// The file (https://github.com/huggingface/safetensors):
//
//     offset  size  field
//     0       8     N, the header length (u64, little-endian)
//     8       N     a JSON object, UTF-8, starting with '{' and padded with
//                   spaces: for each tensor
//                     "<name>": {"dtype": "F32", "shape": [16, 8],
//                                "data_offsets": [begin, end]}
//                   and optionally "__metadata__": {"<key>": "<value>", ...}
//     8+N     ...   the data: each tensor's values, C order, little-endian,
//                   at [begin, end) of this area; the tensors cover it
//                   exactly, without overlaps or holes
//
// Names and shapes are PyTorch's (state_dict.hpp): a Sequential
// Linear(8, 16), ReLU, Linear(16, 4) is written as 0.weight [16, 8],
// 0.bias [16], 2.weight [4, 16], 2.bias [4], in that order, F32 for a float
// model and F64 for a double one; the header is padded so that the data
// starts at a multiple of 8 bytes. Loading checks the names, dtypes and
// shapes (StateDictMismatchError lists every difference) after the checks
// of safetensors_reader.hpp (typed FormatErrors with byte positions).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/array.hpp"
#include "fedpp/io/file.hpp"
#include "fedpp/io/safetensors_reader.hpp"
#include "fedpp/io/state_dict.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace fedpp::io {

/// Strings to strings, stored under "__metadata__".
using Metadata = std::map<std::string, std::string>;

namespace detail {

/// The JSON header for `arrays` laid out one after another, in order.
inline std::string safetensors_header(const std::vector<ArrayRecord>& arrays, const Metadata& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        header["__metadata__"] = metadata;
    }
    std::set<std::string> names;
    std::uint64_t offset = 0;
    for (const auto& array : arrays) {
        const auto bytes = byte_count(array.shape, array.dtype);
        if (!bytes || *bytes != array.data.size()) {
            throw ArgumentError("safetensors: array '" + array.name + "' of shape " + shape_text(array.shape) +
                                " holds " + std::to_string(array.data.size()) + " bytes");
        }
        if (array.name == "__metadata__" || !names.insert(array.name).second) {
            throw ArgumentError("safetensors: the array name '" + array.name + "' is reserved or repeated");
        }
        header[array.name] = {{"dtype", safetensors_dtype(array.dtype)},
                              {"shape", array.shape},
                              {"data_offsets", {offset, offset + *bytes}}};
        offset += *bytes;
    }
    try {
        return header.dump();
    } catch (const nlohmann::ordered_json::exception& e) {
        throw ArgumentError(std::string("safetensors: a name or metadata string is not valid UTF-8: ") + e.what());
    }
}

} // namespace detail

/// The bytes of a safetensors file holding `arrays`, in order.
/// ArgumentError for repeated names, the reserved name "__metadata__",
/// names or metadata that are not UTF-8, or data that does not fit a shape.
[[nodiscard]] inline Bytes safetensors_bytes(const std::vector<ArrayRecord>& arrays, const Metadata& metadata = {}) {
    std::string header = detail::safetensors_header(arrays, metadata);
    // Spaces after the JSON, so that the data starts 8-byte aligned.
    header.append((8 - header.size() % 8) % 8, ' ');
    std::size_t size = detail::safetensors_prefix + header.size();
    for (const auto& array : arrays) {
        size += array.data.size();
    }
    Bytes file;
    file.reserve(size);
    ByteWriter out(file);
    out.write<std::uint64_t>(header.size());
    out.write_bytes(std::as_bytes(std::span(header.data(), header.size())));
    for (const auto& array : arrays) {
        out.write_bytes(array.data);
    }
    return file;
}

/// The bytes of a safetensors file holding `model`'s parameters.
template <NamedModel M>
[[nodiscard]] Bytes safetensors_to_bytes(const M& model, const Metadata& metadata = {}) {
    return safetensors_bytes(to_arrays(model), metadata);
}

/// Saves `model`'s parameters to `path` (atomically: see file.hpp).
template <NamedModel M>
void save_safetensors(const std::string& path, const M& model, const Metadata& metadata = {}) {
    detail::write_file_atomically(path, safetensors_to_bytes(model, metadata));
}

/// Loads the safetensors file `bytes` into `model` in place; `where` names
/// it in messages. FormatError (with the byte position) for a malformed
/// file, StateDictMismatchError if it does not fit the model; the model is
/// unchanged on error.
template <NamedModel M>
void load_safetensors_bytes(std::span<const std::byte> bytes, M& model, const std::string& where,
                            LoadOptions options = {}) {
    load_arrays(model, read_safetensors(bytes, where).arrays, where, options);
}

/// Loads the safetensors file at `path` into `model` in place (see
/// load_safetensors_bytes); WeightsIoError if it cannot be read.
template <NamedModel M>
void load_safetensors(const std::string& path, M& model, LoadOptions options = {}) {
    load_safetensors_bytes(detail::read_file(path), model, path, options);
}

} // namespace fedpp::io
