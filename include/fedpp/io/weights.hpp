// fedpp::io: models in and out, the format chosen by the file's extension.
// Include this header (CMake target fedpp::formats) for all of fedpp::io:
//
//     fedpp::io::save_weights("model.safetensors", model);   // or "model.npz"
//     fedpp::io::load_weights("model.npz", model);           // in place
//
// ".safetensors": safetensors.hpp; ".npz": npz.hpp. Names and shapes are
// PyTorch's state_dict() names and shapes (state_dict.hpp), so that
// torch_model.load_state_dict(...) takes the file as is, and the reverse.
// Any other extension is an ArgumentError, raised before anything is read
// or written.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/npz.hpp"
#include "fedpp/io/safetensors.hpp"
#include "fedpp/io/state_dict.hpp"

#include <string>
#include <string_view>

namespace fedpp::io {

enum class WeightsFormat { safetensors, npz };

/// The format named by `path`'s extension; ArgumentError if neither.
[[nodiscard]] inline WeightsFormat weights_format_of(const std::string& path) {
    const auto ends_with = [&](std::string_view suffix) {
        return path.size() >= suffix.size() && std::string_view(path).substr(path.size() - suffix.size()) == suffix;
    };
    if (ends_with(".safetensors")) {
        return WeightsFormat::safetensors;
    }
    if (ends_with(".npz")) {
        return WeightsFormat::npz;
    }
    throw ArgumentError("'" + path + "': unknown weights file extension (use .safetensors or .npz)");
}

/// Saves `model`'s parameters to `path`, as safetensors or .npz by its
/// extension.
template <NamedModel M>
void save_weights(const std::string& path, const M& model) {
    if (weights_format_of(path) == WeightsFormat::safetensors) {
        save_safetensors(path, model);
    } else {
        save_npz(path, model);
    }
}

/// Loads the safetensors or .npz file at `path` (by its extension) into
/// `model` in place; see load_safetensors and load_npz for the errors.
template <NamedModel M>
void load_weights(const std::string& path, M& model, LoadOptions options = {}) {
    if (weights_format_of(path) == WeightsFormat::safetensors) {
        load_safetensors(path, model, options);
    } else {
        load_npz(path, model, options);
    }
}

} // namespace fedpp::io
