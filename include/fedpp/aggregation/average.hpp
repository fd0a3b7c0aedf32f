// fedpp: the weighted average of models that are all present at once (the
// kernel behind fedavg).
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

/// Elements of a parameter averaged together: the block of the running sum
/// stays in the L1 cache while the same block of every model streams past
/// it, so memory sees each input read once and the result written once,
/// whatever the number of models (adding whole models one after another
/// reads and writes the sum once per model instead). Each model's block is
/// a short burst that the hardware prefetcher does not see coming, so the
/// next model's block is prefetched while the current one is added.
/// (benchmarks/NOTES.md has the measurements.)
inline constexpr Index fedavg_block_elements = 512;

/// Asks the cache for `count` values from `first`, ahead of their use.
template <class T>
void prefetch(const T* first, Index count) noexcept {
#if defined(__GNUC__)
    constexpr Index line = 64 / sizeof(T);
    for (Index i = 0; i < count; i += line) {
        __builtin_prefetch(first + i);
    }
#else
    (void)first;
    (void)count;
#endif
}

/// sum += w_i * input_i over the models, block by block, for parameter `k`;
/// then sum /= total. Returns whether the result is finite.
template <class T>
bool average_parameter(T* sum, Index size, const std::vector<std::vector<Tensor<T>>>& params, std::size_t k,
                       std::span<const double> weights, double total) {
    using Block = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
    using InputBlock = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
    const bool weighted = !weights.empty();
    bool finite = true;
    for (Index begin = 0; begin < size; begin += fedavg_block_elements) {
        Block block(sum + begin, std::min(fedavg_block_elements, size - begin));
        if (weighted) {
            block *= static_cast<T>(weights[0]);
        }
        for (std::size_t i = 1; i < params.size(); ++i) {
            if (i + 1 < params.size()) {
                prefetch(params[i + 1][k].value().data() + begin, block.size());
            }
            const InputBlock input(params[i][k].value().data() + begin, block.size());
            if (weighted) {
                block += static_cast<T>(weights[i]) * input;
            } else {
                block += input;
            }
        }
        block /= static_cast<T>(total);
        finite = finite && all_finite(block);
    }
    return finite;
}

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
        if (!average_parameter(sums[k].value().data(), sums[k].size(), params, k, scaled.weights, scaled.total)) {
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
