// fedpp: the definitions of checks.hpp (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::detail {

FEDPP_INLINE void check_weight(std::string_view operation, double weight, std::string_view which) {
    if (!std::isfinite(weight) || weight < 0) {
        throw AggregationError(std::string(operation) + ": the weight of " + std::string(which) + " is " +
                               std::to_string(weight) + "; weights must be finite and >= 0");
    }
}

FEDPP_INLINE ScaledWeights checked_weights(std::string_view operation, std::span<const double> weights,
                                           std::size_t model_count) {
    if (weights.size() != model_count) {
        throw AggregationError(std::string(operation) + ": " + std::to_string(weights.size()) + " weights for " +
                               std::to_string(model_count) + " models");
    }
    double largest = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        check_weight(operation, weights[i], "model " + std::to_string(i));
        largest = std::max(largest, weights[i]);
    }
    if (!(largest > 0)) {
        throw AggregationError(std::string(operation) +
                               ": the weights add up to zero; at least one model needs a positive weight");
    }
    const int exponent = weight_exponent(largest);
    ScaledWeights scaled;
    scaled.weights.reserve(weights.size());
    for (const double weight : weights) {
        scaled.weights.push_back(std::ldexp(weight, -exponent));
        scaled.total += scaled.weights.back();
    }
    return scaled;
}

} // namespace fedpp::detail
