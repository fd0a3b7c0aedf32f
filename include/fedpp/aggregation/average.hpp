// fedpp: the weighted average of models that are all present at once (the
// kernel behind fedavg).
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/blocked_sum.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

/// sum_i w_i m_i / sum_i w_i (w_i = 1 when `weights` is empty), parameter by
/// parameter. Reads each input once, never writes to it, and allocates one
/// model: the result. Non-finite inputs are detected from the result (any
/// NaN or infinity in an input makes the sum non-finite) and then traced to
/// the first offending model for the message.
template <Averageable M>
M average(std::span<M* const> models, std::span<const double> weights) {
    if (models.empty()) {
        throw AggregationError("fedavg: no models to aggregate");
    }
    // Weights normalised in double (checked_weights): none overflows a float.
    const ScaledWeights scaled = weights.empty() ? ScaledWeights{{}, double(models.size())}
                                                 : checked_weights("fedavg", weights, models.size());
    using T = scalar_of<M>;
    std::vector<std::vector<Tensor<T>>> params; // handles, not copies
    params.reserve(models.size());
    params.push_back(parameters_of(*models[0]));
    const ParameterShapes shapes = shapes_of(params[0]);
    for (std::size_t i = 1; i < models.size(); ++i) {
        params.push_back(parameters_of(*models[i]));
        check_layout("fedavg", shapes, params[i], "model " + std::to_string(i));
    }
    M result = independent_copy(*models[0]);
    auto sums = parameters_of(result);
    for (std::size_t k = 0; k < sums.size(); ++k) {
        const ParameterSum<T> parameter{sums[k].value().data(), &params, k, scaled.weights, scaled.total};
        if (!average_parameter(parameter, sums[k].size())) {
            for (std::size_t i = 0; i < models.size(); ++i) {
                check_update("fedavg", shapes, *models[i], "model " + std::to_string(i));
            }
            throw AggregationError("fedavg: the weighted sum of parameter " + std::to_string(k) +
                                   " overflows to infinity: the models' values are too close to the largest "
                                   "finite value of their scalar type");
        }
    }
    return result;
}

} // namespace fedpp::detail
