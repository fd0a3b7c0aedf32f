// fedpp: evaluating a classifier on a data set: mean cross-entropy and
// accuracy.
#pragma once

#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/nn/loss.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::training {

struct Evaluation {
    double loss = 0;     ///< mean cross-entropy
    double accuracy = 0; ///< fraction of examples whose highest score is their label
    Index examples = 0;
};

/// The model's mean cross-entropy and accuracy on `data`, computed in
/// batches without recording a graph, with the evaluation forward model(x)
/// (nn::Dropout passes its input through; see nn/mode.hpp).
template <nn::Model M>
Evaluation evaluate(const M& model, const data::Dataset<typename M::scalar_type>& data, std::size_t batch = 1000) {
    using T = typename M::scalar_type;
    Evaluation result;
    result.examples = data.size();
    if (data.empty()) {
        return result;
    }
    const NoGradGuard values_only;
    const auto n = static_cast<std::size_t>(data.size());
    batch = std::max<std::size_t>(batch, 1);
    double loss_sum = 0;
    std::size_t correct = 0;
    for (std::size_t first = 0; first < n; first += batch) {
        const auto count = static_cast<Index>(std::min(batch, n - first));
        const Tensor<T> x(data.features().middleRows(static_cast<Index>(first), count));
        const std::span<const std::int32_t> labels(data.labels().data() + first, static_cast<std::size_t>(count));
        const auto scores = model(x);
        loss_sum += static_cast<double>(nn::cross_entropy(scores, labels).item()) * static_cast<double>(count);
        for (Index i = 0; i < count; ++i) {
            Index predicted = 0;
            scores.value().row(i).maxCoeff(&predicted);
            correct += predicted == labels[static_cast<std::size_t>(i)] ? 1 : 0;
        }
    }
    result.loss = loss_sum / static_cast<double>(n);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    return result;
}

} // namespace fedpp::training
