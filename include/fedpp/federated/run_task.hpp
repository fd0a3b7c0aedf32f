// fedpp: the task of a federated run (the features and classes of its
// examples), and the checks that every client's data in this process, and
// the initial model, fit it.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/autograd/grad_mode.hpp"
#include "fedpp/data/dataset.hpp"
#include "fedpp/nn/loss.hpp"
#include "fedpp/nn/parameter_checks.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// One example of the run's task, to check the model and the clients
/// against: the test set's first, or else the first local client's
/// with data (none for clients that are parties of their own).
template <class T, class Clients>
data::Dataset<T> task_of(const Clients& clients, const data::Dataset<T>& test_set) {
    const std::array<Index, 1> first{0};
    if (!test_set.empty()) {
        return test_set.subset(first);
    }
    if constexpr (std::is_same_v<std::remove_cvref_t<Clients>, std::vector<data::Dataset<T>>>) {
        for (const data::Dataset<T>& set : clients) {
            if (!set.empty()) {
                return set.subset(first);
            }
        }
    }
    return {};
}

/// `clients`, if they are data sets here, after checking that each
/// with data has the task's features and classes: otherwise every
/// round would leave it out, with only the round's failures saying why.
template <class T, class Clients>
Clients&& same_task(const char* driver, Clients&& clients, const data::Dataset<T>& task, const char* source) {
    if constexpr (std::is_same_v<std::remove_cvref_t<Clients>, std::vector<data::Dataset<T>>>) {
        for (std::size_t k = 0; k < clients.size() && !task.empty(); ++k) {
            const data::Dataset<T>& set = clients[k];
            if (!set.empty() &&
                (set.feature_count() != task.feature_count() || set.class_count() != task.class_count())) {
                throw ShapeError(std::string(driver) + ": client " + std::to_string(k) + "'s data has " +
                                 std::to_string(set.feature_count()) + " features and " +
                                 std::to_string(set.class_count()) + " classes, the " + source + " " +
                                 std::to_string(task.feature_count()) + " and " +
                                 std::to_string(task.class_count()));
            }
        }
    }
    return std::forward<Clients>(clients);
}

/// ShapeError unless `model` takes the features of `task` (an example of
/// the test set's, or of the clients' when `from_clients`) and gives one
/// score per class (a wider model would be trained and scored against
/// classes no example has; a narrower one would fail in training).
template <class M, class T>
void check_model_fits(const char* driver, const M& model, const data::Dataset<T>& task, bool from_clients) {
    if (task.empty()) {
        return;
    }
    const NoGradGuard values_only;
    Index scores = 0;
    try {
        scores = model(Tensor<T>(task.features())).value().cols();
    } catch (const ShapeError& e) {
        throw ShapeError(std::string(driver) + ": the model does not take the " +
                         (from_clients ? "clients'" : "test set's") + " examples of " +
                         std::to_string(task.feature_count()) + " features: " + e.what());
    }
    check_class_scores(driver, scores, task.class_count());
}

/// ArgumentError if the initial model holds a NaN or an infinity: every
/// client's update would, and be rejected, the clients blamed.
template <class M>
void check_model_finite(const char* driver, const M& model) {
    const auto parameters = model.parameters();
    if (const std::size_t k = first_non_finite(parameters); k != parameters.size()) {
        throw ArgumentError(std::string(driver) + ": parameter " + std::to_string(k) +
                            " of the initial model holds NaN or infinite values");
    }
}

} // namespace fedpp::detail
