// fedpp: the checks every aggregator makes on its inputs: layouts, finite
// values, weights.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/nn/parameter_checks.hpp"

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::detail {

/// AggregationError unless `weight` (the weight of `which`) is finite and
/// >= 0.
void check_weight(std::string_view operation, double weight, std::string_view which);

/// The exponent e with 2^e <= `largest` < 2^(e+1) (0 when it is not
/// positive). Weights divided by 2^e lie in [0, 2): dividing by a power of
/// two keeps every bit, so a weight of any finite magnitude (1e39, 1e-50)
/// is normalised in double before it meets a float, and the result is the
/// same, bit for bit, as with the weights themselves wherever those fit.
inline int weight_exponent(double largest) noexcept { return largest > 0 ? std::ilogb(largest) : 0; }

/// Weights scaled by 2^-weight_exponent(their largest), and their total.
struct ScaledWeights {
    std::vector<double> weights;
    double total = 0;
};

/// Checks the weights of a weighted average: as many as models, each finite
/// and >= 0, with a positive total. Returns them scaled (weight_exponent),
/// so that their total cannot overflow, whatever their magnitudes.
ScaledWeights checked_weights(std::string_view operation, std::span<const double> weights,
                              std::size_t model_count);

/// ShapeError unless `model`'s parameters have `shapes`; AggregationError if
/// one holds a NaN or an infinity. `which` names the model in messages.
/// Returns the parameters checked.
template <Averageable M>
auto check_update(std::string_view operation, const ParameterShapes& shapes, const M& model,
                  std::string_view which = "the update") {
    auto params = parameters_of(model);
    check_layout(operation, shapes, params, which);
    if (const std::size_t k = first_non_finite(params); k != params.size()) {
        throw AggregationError(std::string(operation) + ": parameter " + std::to_string(k) + " of " +
                               std::string(which) + " holds NaN or infinite values");
    }
    return params;
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

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/aggregation/checks-inl.hpp"
#endif
