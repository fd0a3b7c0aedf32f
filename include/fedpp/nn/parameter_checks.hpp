// fedpp: checks on a model's parameter tensors, shared by everything that
// combines or copies parameters (load_parameters, every aggregator).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The shapes of a model's parameters, in order: what another model must
/// match to be combined with it.
using ParameterShapes = std::vector<std::pair<Index, Index>>;

template <class T>
ParameterShapes shapes_of(const std::vector<Tensor<T>>& parameters) {
    ParameterShapes shapes;
    shapes.reserve(parameters.size());
    for (const auto& p : parameters) {
        shapes.emplace_back(p.rows(), p.cols());
    }
    return shapes;
}

/// ShapeError unless `parameters` are laid out as `expected` (as many
/// tensors, each of the same shape). `operation` and `which` ("model 3",
/// "the update", "the source") name the culprit in the message.
template <class T>
void check_layout(std::string_view operation, const ParameterShapes& expected,
                  const std::vector<Tensor<T>>& parameters, std::string_view which) {
    if (parameters.size() != expected.size()) {
        throw ShapeError(std::string(operation) + ": " + std::string(which) + " has " +
                         std::to_string(parameters.size()) + " parameter tensors, expected " +
                         std::to_string(expected.size()));
    }
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const auto [rows, cols] = expected[k];
        if (parameters[k].rows() != rows || parameters[k].cols() != cols) {
            throw ShapeError(std::string(operation) + ": parameter " + std::to_string(k) + " of " +
                             std::string(which) + " is " + parameters[k].shape_string() + ", expected " +
                             shape_of(rows, cols));
        }
    }
}

/// True when every coefficient is finite. Eigen's allFinite() tests one
/// coefficient at a time; x * 0 is 0 for every finite x and NaN otherwise,
/// so one vectorised sum answers for the whole block.
template <class Derived>
bool all_finite(const Eigen::DenseBase<Derived>& values) {
    using Scalar = typename Derived::Scalar;
    return (values.derived().array() * Scalar(0)).sum() == Scalar(0);
}

/// The index of the first parameter tensor holding a NaN or an infinity,
/// or parameters.size() if all are finite.
template <class T>
std::size_t first_non_finite(const std::vector<Tensor<T>>& parameters) {
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        if (!all_finite(parameters[k].value())) {
            return k;
        }
    }
    return parameters.size();
}

} // namespace fedpp::detail
