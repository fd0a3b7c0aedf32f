// fedpp: training a classifier on one party's data: E epochs of minibatch SGD
// with batch size B (the client update of FedAvg, and plain centralised
// training).
#pragma once

#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/nn/loss.hpp"
#include "fedpp/nn/mode.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/optim/sgd.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace fedpp::training {

/// The client update's settings (E, B and the optimiser's).
struct LocalTraining {
    std::size_t epochs = 1;      ///< E: passes over the local data
    std::size_t batch_size = 10; ///< B: examples per step; 0 means the whole local data set
    double learning_rate = 0.1;
    double momentum = 0;
    double weight_decay = 0;

    /// ArgumentError for settings that cannot train.
    void validate() const {
        if (epochs == 0) {
            throw ArgumentError("LocalTraining: epochs (E) must be at least 1");
        }
        if (!(learning_rate > 0) || !std::isfinite(learning_rate)) {
            throw ArgumentError("LocalTraining: the learning rate must be finite and > 0, got " +
                                std::to_string(learning_rate));
        }
        if (!(momentum >= 0) || !(weight_decay >= 0) || !std::isfinite(momentum) || !std::isfinite(weight_decay)) {
            throw ArgumentError("LocalTraining: momentum and weight decay must be finite and >= 0");
        }
    }
};

} // namespace fedpp::training

namespace fedpp::detail {
/// The examples at `rows` as a batch tensor and its labels.
template <class T>
void gather_batch(const data::Dataset<T>& data, std::span<const Index> rows, Matrix<T>& features,
                  std::vector<std::int32_t>& labels) {
    features.resize(static_cast<Index>(rows.size()), data.feature_count());
    labels.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        features.row(static_cast<Index>(i)) = data.features().row(rows[i]);
        labels[i] = data.labels()[static_cast<std::size_t>(rows[i])];
    }
}
} // namespace fedpp::detail

namespace fedpp::training {

/// Trains `model` on `data` with `config.epochs` passes of minibatch SGD on
/// the cross-entropy loss, reshuffling the examples (with `generator`) before
/// each pass. The forward is a training one (nn::forward_training): layers
/// such as nn::Dropout draw from `generator` too, after each pass's shuffle,
/// so the result depends on the generator's seed alone. Returns the mean loss over every example seen (each batch's
/// loss is computed before its step). An empty data set trains nothing and
/// returns 0.
template <nn::Model M>
double train_locally(M& model, const data::Dataset<typename M::scalar_type>& data, const LocalTraining& config,
                     Generator& generator) {
    using T = typename M::scalar_type;
    config.validate();
    const auto n = static_cast<std::size_t>(data.size());
    if (n == 0) {
        return 0.0;
    }
    const std::size_t batch = config.batch_size == 0 ? n : std::min(config.batch_size, n);
    optim::SGD<T> optimiser(model.parameters(), static_cast<T>(config.learning_rate), static_cast<T>(config.momentum),
                            static_cast<T>(config.weight_decay));
    std::vector<Index> order(n);
    std::iota(order.begin(), order.end(), Index{0});
    fedpp::Matrix<T> features;
    std::vector<std::int32_t> labels;
    double loss_sum = 0;
    std::size_t seen = 0;
    for (std::size_t epoch = 0; epoch < config.epochs; ++epoch) {
        if (batch < n) { // with one full batch the order does not matter
            for (std::size_t i = n - 1; i > 0; --i) {
                std::swap(order[i], order[generator.below(i + 1)]);
            }
        }
        for (std::size_t first = 0; first < n; first += batch) {
            const std::size_t count = std::min(batch, n - first);
            detail::gather_batch(data, std::span<const Index>(order).subspan(first, count), features, labels);
            optimiser.zero_grad();
            const auto scores = nn::forward_training(model, Tensor<T>(features), generator);
            detail::check_class_scores("training::train_locally", scores.cols(), data.class_count());
            auto loss = nn::cross_entropy(scores, labels);
            loss.backward();
            optimiser.step();
            loss_sum += static_cast<double>(loss.item()) * static_cast<double>(count);
            seen += count;
        }
    }
    return loss_sum / static_cast<double>(seen);
}

} // namespace fedpp::training
