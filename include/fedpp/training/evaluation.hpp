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
#include <optional>
#include <span>
#include <vector>

namespace fedpp::training {

struct Evaluation {
    double loss = 0;     ///< mean cross-entropy
    double accuracy = 0; ///< fraction of examples whose highest score is their label
    Index examples = 0;
};

namespace detail {

/// One batch's share of an evaluation: its summed cross-entropy and how
/// many of its examples were predicted right.
struct BatchScore {
    double loss_sum = 0;
    std::size_t correct = 0;
};

template <nn::Model M>
BatchScore score_batch(const M& model, const data::Dataset<typename M::scalar_type>& data, std::size_t first,
                       std::size_t size) {
    using T = typename M::scalar_type;
    const auto count = static_cast<Index>(size);
    const Tensor<T> x(data.features().middleRows(static_cast<Index>(first), count));
    const std::span<const std::int32_t> labels(data.labels().data() + first, size);
    const auto scores = model(x);
    fedpp::detail::check_class_scores("training::evaluate", scores.cols(), data.class_count());
    BatchScore score;
    score.loss_sum = static_cast<double>(nn::cross_entropy(scores, labels).item()) * static_cast<double>(count);
    for (Index i = 0; i < count; ++i) {
        Index predicted = 0;
        scores.value().row(i).maxCoeff(&predicted);
        score.correct += predicted == labels[static_cast<std::size_t>(i)] ? 1 : 0;
    }
    return score;
}

/// evaluate_in_parallel's threads for one worker: the calling thread.
struct CallingThread {
    template <class Job>
    void run(std::size_t, const Job& job) const {
        job(0);
    }
};

} // namespace detail

/// The model's mean cross-entropy and accuracy on `data`, computed in
/// batches of `batch` examples without recording a graph, with the
/// evaluation forward model(x) (nn::Dropout passes its input through; see
/// nn/mode.hpp), the batches shared out among `workers` threads.
/// `threads.run(workers, job)` must call job(t) for every t in [0, workers),
/// at once or in turn, and return when all have returned (rethrowing what
/// one threw), as federated::detail::ThreadTeam does; worker 0 scores with
/// `model` itself, the others each with a copy of it. Batch b goes to worker b % workers, and the batches' scores
/// are added in batch order, so the result is bitwise the same for any
/// number of workers.
template <nn::Model M, class Threads>
Evaluation evaluate_in_parallel(const M& model, const data::Dataset<typename M::scalar_type>& data, std::size_t batch,
                                std::size_t workers, Threads& threads) {
    Evaluation result;
    result.examples = data.size();
    if (data.empty()) {
        return result;
    }
    const auto n = static_cast<std::size_t>(data.size());
    batch = std::max<std::size_t>(batch, 1);
    const std::size_t batches = n / batch + (n % batch != 0 ? 1 : 0); // no overflow for any batch
    workers = std::clamp<std::size_t>(workers, 1, batches);
    std::vector<detail::BatchScore> scores(batches);
    threads.run(workers, [&](std::size_t worker) {
        const NoGradGuard values_only; // per thread
        std::optional<M> copy;
        if (worker != 0) {
            copy.emplace(model.copy());
        }
        const M& scorer = copy ? *copy : model;
        for (std::size_t b = worker; b < batches; b += workers) {
            scores[b] = detail::score_batch(scorer, data, b * batch, std::min(batch, n - b * batch));
        }
    });
    double loss_sum = 0;
    std::size_t correct = 0;
    for (const detail::BatchScore& score : scores) {
        loss_sum += score.loss_sum;
        correct += score.correct;
    }
    result.loss = loss_sum / static_cast<double>(n);
    result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    return result;
}

/// The model's mean cross-entropy and accuracy on `data`, computed in
/// batches without recording a graph, with the evaluation forward model(x)
/// (nn::Dropout passes its input through; see nn/mode.hpp), on the calling
/// thread.
template <nn::Model M>
Evaluation evaluate(const M& model, const data::Dataset<typename M::scalar_type>& data, std::size_t batch = 1000) {
    detail::CallingThread calling_thread;
    return evaluate_in_parallel(model, data, batch, 1, calling_thread);
}

} // namespace fedpp::training
