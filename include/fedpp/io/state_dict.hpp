// fedpp::io: a model's parameters by name, as PyTorch's state_dict() names
// them.
//
//     nn::Linear<T>       weight [out, in], bias [out]
//     nn::Conv2d<T>       weight [out, in, kh, kw], bias [out]
//     nn::Sequential<T>   "<i>.weight", "<i>.bias" for the Linear or Conv2d
//                         layer at index i; parameter-free layers (ReLU,
//                         Sigmoid, Tanh, MaxPool2d, Flatten, Dropout) take an
//                         index but no names, as in PyTorch:
//                         Linear, ReLU, Linear -> 0.weight 0.bias 2.weight 2.bias
//
// Layout. fedpp's Linear weight is out x in, like torch.nn.Linear.weight,
// and both are row-major: the values are stored as they are. fedpp's Conv2d
// weight is out x (in*kh*kw), each row PyTorch's in x kh x kw filter in its
// row-major order: stored as it is, with PyTorch's 4-d shape. fedpp's bias is
// a 1 x out row; PyTorch's is 1-D, shape [out]: the files hold shape [out]
// (what model.load_state_dict expects) and loading turns it back into the
// 1 x out row. A file with bias shape [1, out] is a shape mismatch.
//
// Another model type takes part by providing
//     std::vector<fedpp::io::StateEntry<T>> state_dict(const MyModel&);
// found by argument-dependent lookup.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/array.hpp"
#include "fedpp/io/errors.hpp"
#include "fedpp/nn/conv2d.hpp"
#include "fedpp/nn/linear.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/sequential.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace fedpp::io {

/// One named parameter: its PyTorch name and shape, and a handle sharing
/// the model's storage (writing its value() writes the model).
template <class T>
struct StateEntry {
    std::string name;
    Shape shape;
    Tensor<T> tensor;
};

template <class T>
[[nodiscard]] std::vector<StateEntry<T>> state_dict(const nn::Linear<T>& layer, const std::string& prefix = "") {
    const auto out = static_cast<std::uint64_t>(layer.out_features());
    const auto in = static_cast<std::uint64_t>(layer.in_features());
    std::vector<StateEntry<T>> entries;
    entries.push_back({prefix + "weight", {out, in}, layer.weight()});
    entries.push_back({prefix + "bias", {out}, layer.bias()});
    return entries;
}

template <class T>
[[nodiscard]] std::vector<StateEntry<T>> state_dict(const nn::Conv2d<T>& layer, const std::string& prefix = "") {
    const auto out = static_cast<std::uint64_t>(layer.out_channels());
    const auto in = static_cast<std::uint64_t>(layer.in_channels());
    const auto kh = static_cast<std::uint64_t>(layer.window().kernel.height);
    const auto kw = static_cast<std::uint64_t>(layer.window().kernel.width);
    std::vector<StateEntry<T>> entries;
    entries.push_back({prefix + "weight", {out, in, kh, kw}, layer.weight()});
    entries.push_back({prefix + "bias", {out}, layer.bias()});
    return entries;
}

template <class T>
[[nodiscard]] std::vector<StateEntry<T>> state_dict(const nn::Sequential<T>& model) {
    std::vector<StateEntry<T>> entries;
    for (std::size_t i = 0; i < model.size(); ++i) {
        std::visit(
            [&](const auto& layer) {
                if constexpr (requires { state_dict(layer, std::string()); }) {
                    for (auto& entry : state_dict(layer, std::to_string(i) + ".")) {
                        entries.push_back(std::move(entry));
                    }
                }
            },
            model[i]);
    }
    return entries;
}

/// A model whose parameters have names.
template <class M>
concept NamedModel = nn::Model<M> && requires(const M& model) {
    { state_dict(model) } -> std::same_as<std::vector<StateEntry<typename M::scalar_type>>>;
};

struct LoadOptions {
    /// false (the default): an array whose element type differs from the
    /// model's is a mismatch. true: float64 arrays load into a float model
    /// (each value rounded to the nearest float; a finite value beyond
    /// float's range is a ValueRangeError, not an infinity) and float32
    /// arrays into a double model (exactly); float16 and bfloat16 arrays
    /// (read only) load into either, exactly.
    bool convert_dtype = false;
};

namespace detail {

template <class T>
std::size_t checked_count(const StateEntry<T>& entry) {
    const auto count = element_count(entry.shape);
    if (!count || *count != static_cast<std::uint64_t>(entry.tensor.size())) {
        throw ShapeError("fedpp::io: state_dict entry '" + entry.name + "' has shape " + shape_text(entry.shape) +
                         " but its tensor is " + entry.tensor.shape_string());
    }
    return static_cast<std::size_t>(*count);
}

/// Every way in which `arrays` (by name) differ from `entries`.
template <class T>
std::vector<Mismatch> compare(const std::vector<StateEntry<T>>& entries,
                              const std::map<std::string_view, const ArrayRecord*>& arrays, LoadOptions options) {
    std::vector<Mismatch> mismatches;
    std::map<std::string_view, bool> in_model;
    const std::string model_dtype(dtype_name(dtype_of<T>()));
    for (const auto& entry : entries) {
        in_model[entry.name] = true;
        const auto found = arrays.find(entry.name);
        if (found == arrays.end()) {
            mismatches.push_back(
                {Mismatch::Kind::missing, entry.name, shape_text(entry.shape) + " " + model_dtype, ""});
            continue;
        }
        const ArrayRecord& array = *found->second;
        if (array.dtype != dtype_of<T>() && !options.convert_dtype) {
            mismatches.push_back(
                {Mismatch::Kind::dtype, entry.name, model_dtype, std::string(dtype_name(array.dtype))});
        }
        if (array.shape != entry.shape) {
            mismatches.push_back({Mismatch::Kind::shape, entry.name, shape_text(entry.shape), shape_text(array.shape)});
        }
    }
    for (const auto& [name, array] : arrays) {
        if (in_model.count(name) == 0) {
            mismatches.push_back({Mismatch::Kind::unexpected, std::string(name), "",
                                  shape_text(array->shape) + " " + std::string(dtype_name(array->dtype))});
        }
    }
    return mismatches;
}

/// ValueRangeError if `array`, of float64 values, holds a finite one that
/// rounds to an infinity as a float: at least FLT_MAX and half its last
/// place (2^103), where round-to-nearest-even goes up.
inline void check_float_range(const ArrayRecord& array, std::size_t count, const std::string& file) {
    if (array.dtype != Dtype::f64) {
        return;
    }
    for (std::size_t j = 0; j < count; ++j) {
        const double value = load_little_endian<double>(array.data.data() + j * sizeof(double));
        if (std::isfinite(value) && std::abs(value) >= static_cast<double>(std::numeric_limits<float>::max()) + 0x1p103) {
            char shown[32];
            std::snprintf(shown, sizeof shown, "%.17g", value);
            throw ValueRangeError(file + ": array '" + array.name + "' holds " + shown + " at index " +
                                  std::to_string(j) + ", beyond float's range (the model is float32): it would load "
                                  "as an infinity");
        }
    }
}

/// The arrays by name; SizeMismatchError for an array whose bytes do not
/// fit its shape, ArgumentError for a repeated name (the readers reject
/// both, with positions; this guards records built by hand).
inline std::map<std::string_view, const ArrayRecord*> index_by_name(const std::vector<ArrayRecord>& arrays,
                                                                    const std::string& file) {
    std::map<std::string_view, const ArrayRecord*> by_name;
    for (const auto& array : arrays) {
        const auto bytes = byte_count(array.shape, array.dtype);
        if (!bytes || *bytes != array.data.size()) {
            throw SizeMismatchError(file, 0,
                                    "array '" + array.name + "' of shape " + shape_text(array.shape) + " holds " +
                                        std::to_string(array.data.size()) + " bytes");
        }
        if (!by_name.emplace(array.name, &array).second) {
            throw ArgumentError(file + ": two arrays are named '" + array.name + "'");
        }
    }
    return by_name;
}

} // namespace detail

/// The model's parameters as arrays, in state_dict order.
template <NamedModel M>
[[nodiscard]] std::vector<ArrayRecord> to_arrays(const M& model) {
    using T = typename M::scalar_type;
    std::vector<ArrayRecord> arrays;
    for (const auto& entry : state_dict(model)) {
        const std::size_t count = detail::checked_count(entry);
        arrays.push_back(
            {entry.name, dtype_of<T>(), entry.shape, detail::encode_values(entry.tensor.value().data(), count)});
    }
    return arrays;
}

/// Loads `arrays` into `model` in place (its tensors, and any optimiser
/// attached to them, are kept), after checking that the names, element
/// types and shapes are exactly the model's: otherwise
/// StateDictMismatchError listing every difference, and the model is left
/// unchanged. `file` names the source in messages.
template <NamedModel M>
void load_arrays(M& model, const std::vector<ArrayRecord>& arrays, const std::string& file, LoadOptions options = {}) {
    using T = typename M::scalar_type;
    const auto entries = state_dict(std::as_const(model));
    std::vector<std::size_t> counts;
    for (const auto& entry : entries) {
        counts.push_back(detail::checked_count(entry));
    }
    const auto by_name = detail::index_by_name(arrays, file);
    if (auto mismatches = detail::compare(entries, by_name, options); !mismatches.empty()) {
        throw StateDictMismatchError(file, std::move(mismatches));
    }
    if constexpr (std::is_same_v<T, float>) { // a float64 value beyond float's range: refused, not infinite
        for (std::size_t i = 0; i < entries.size(); ++i) {
            detail::check_float_range(*by_name.at(entries[i].name), counts[i], file);
        }
    }
    // Nothing below throws: the model is loaded entirely or not at all.
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ArrayRecord& array = *by_name.at(entries[i].name);
        Tensor<T> tensor = entries[i].tensor;
        detail::decode_values(array.data, array.dtype, tensor.value().data(), counts[i]);
    }
}

} // namespace fedpp::io
