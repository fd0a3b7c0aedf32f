// fedpp: the checks every aggregator makes on its inputs: layouts, finite
// values, weights.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/nn/parameter_checks.hpp"

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace fedpp::detail {

/// AggregationError unless `weight` (the weight of `which`) is finite and
/// >= 0.
inline void check_weight(std::string_view operation, double weight, std::string_view which) {
    if (!std::isfinite(weight) || weight < 0) {
        throw AggregationError(std::string(operation) + ": the weight of " + std::string(which) + " is " +
                               std::to_string(weight) + "; weights must be finite and >= 0");
    }
}

/// Checks the weights of a weighted average: as many as models, each finite
/// and >= 0, with a positive total. Returns the total.
inline double checked_total_weight(std::string_view operation, std::span<const double> weights,
                                   std::size_t model_count) {
    if (weights.size() != model_count) {
        throw AggregationError(std::string(operation) + ": " + std::to_string(weights.size()) + " weights for " +
                               std::to_string(model_count) + " models");
    }
    double total = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        check_weight(operation, weights[i], "model " + std::to_string(i));
        total += weights[i];
    }
    if (!(total > 0)) {
        throw AggregationError(std::string(operation) +
                               ": the weights add up to zero; at least one model needs a positive weight");
    }
    return total;
}

/// ShapeError unless `model`'s parameters have `shapes`; AggregationError if
/// one holds a NaN or an infinity. `which` names the model in messages.
template <Averageable M>
void check_update(std::string_view operation, const ParameterShapes& shapes, const M& model,
                  std::string_view which = "the update") {
    const auto params = parameters_of(model);
    check_layout(operation, shapes, params, which);
    if (const std::size_t k = first_non_finite(params); k != params.size()) {
        throw AggregationError(std::string(operation) + ": parameter " + std::to_string(k) + " of " +
                               std::string(which) + " holds NaN or infinite values");
    }
}

/// check_update for every model, against model 0's layout; AggregationError
/// if there is none.
template <Averageable M>
void check_models(std::string_view operation, std::span<M* const> models) {
    if (models.empty()) {
        throw AggregationError(std::string(operation) + ": no models to aggregate");
    }
    const ParameterShapes shapes = shapes_of(parameters_of(*models[0]));
    for (std::size_t i = 0; i < models.size(); ++i) {
        check_update(operation, shapes, *models[i], "model " + std::to_string(i));
    }
}

} // namespace fedpp::detail
