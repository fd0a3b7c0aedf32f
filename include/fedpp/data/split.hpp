// fedpp: data::split_every, a deterministic train/test split.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/data/dataset.hpp"

#include <cstddef>
#include <vector>

namespace fedpp::data {

/// A data set cut in two: the examples to train on and those held out.
template <class T = float>
struct TrainTestSplit {
    Dataset<T> train;
    Dataset<T> test;
};

/// Every k-th example, counting from the first, held out for testing: `test`
/// has the examples whose index i satisfies i % k == 0, `train` the rest,
/// both in their original order. (The digits federated-training issue defines
/// its test set with k = 5: 360 of the 1,797 examples.) k = 1 puts everything
/// in `test`. ArgumentError for k = 0.
template <class T>
TrainTestSplit<T> split_every(const Dataset<T>& set, std::size_t k) {
    if (k == 0) {
        throw ArgumentError("data::split_every: k must be at least 1 (every k-th example is held out), got 0");
    }
    std::vector<Index> train_rows;
    std::vector<Index> test_rows;
    const auto n = static_cast<std::size_t>(set.size());
    const std::size_t test_count = (n + k - 1) / k;
    test_rows.reserve(test_count);
    train_rows.reserve(n - test_count);
    for (std::size_t i = 0; i < n; ++i) {
        (i % k == 0 ? test_rows : train_rows).push_back(static_cast<Index>(i));
    }
    return TrainTestSplit<T>{set.subset(train_rows), set.subset(test_rows)};
}

} // namespace fedpp::data
