// fedpp: the weighted average of models that are all present at once (the
// kernel behind fedavg).
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/cache_sizes.hpp"
#include "fedpp/base/errors.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

/// How many elements of a parameter are averaged together: the block of
/// the running sum stays in the core's level-2 cache while the same block
/// of every model streams past it, so memory sees each input read once and
/// the result written once, whatever the number of models (adding whole
/// models one after another reads and writes the sum once per model
/// instead, from L3 or memory). The block is a quarter of the L2 the
/// machine reports (the rest holds the model blocks passing through), so
/// each model's block is a run of hundreds of kilobytes that any CPU's
/// hardware prefetcher follows; no software prefetch, no constant tuned on
/// one CPU. 256 KiB if the machine reports no L2; within [32 KiB, 1 MiB].
/// (benchmarks/NOTES.md section 5 has the measurements.)
template <class T>
Index fedavg_block_elements() noexcept {
    static const Index elements = [] {
        constexpr std::size_t fallback = std::size_t{256} << 10;
        const std::size_t level2 = level2_cache_bytes();
        const std::size_t bytes =
            std::clamp(level2 > 0 ? level2 / 4 : fallback, std::size_t{32} << 10, std::size_t{1} << 20);
        return static_cast<Index>(bytes / sizeof(T) / 64 * 64); // whole cache lines of any vector width
    }();
    return elements;
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
    const Index block_elements = fedavg_block_elements<T>();
    for (Index begin = 0; begin < size; begin += block_elements) {
        Block block(sum + begin, std::min(block_elements, size - begin));
        if (weighted) {
            block *= static_cast<T>(weights[0]);
        }
        for (std::size_t i = 1; i < params.size(); ++i) {
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
