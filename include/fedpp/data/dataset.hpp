// fedpp: data::Dataset, examples (rows of features) with integer class labels.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::data {

/// n examples of d features (an n x d row-major matrix) and n labels in
/// [0, class_count). A value type: copies are deep.
template <class T = float>
class Dataset {
public:
    using scalar_type = T;
    using matrix_type = Matrix<T>;

    Dataset() = default;

    /// ShapeError if the counts differ, ArgumentError for a label outside
    /// [0, class_count).
    Dataset(matrix_type features, std::vector<std::int32_t> labels, std::int32_t class_count)
        : features_(std::move(features)), labels_(std::move(labels)), class_count_(class_count) {
        if (static_cast<Index>(labels_.size()) != features_.rows()) {
            throw ShapeError("data::Dataset: " + std::to_string(features_.rows()) + " rows of features but " +
                             std::to_string(labels_.size()) + " labels");
        }
        if (class_count_ <= 0) {
            throw ArgumentError("data::Dataset: the class count must be positive, got " +
                                std::to_string(class_count_));
        }
        for (std::size_t i = 0; i < labels_.size(); ++i) {
            if (labels_[i] < 0 || labels_[i] >= class_count_) {
                throw ArgumentError("data::Dataset: label " + std::to_string(labels_[i]) + " of example " +
                                    std::to_string(i) + " is outside [0, " + std::to_string(class_count_) + ")");
            }
        }
    }

    [[nodiscard]] Index size() const noexcept { return features_.rows(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] Index feature_count() const noexcept { return features_.cols(); }
    [[nodiscard]] std::int32_t class_count() const noexcept { return class_count_; }
    [[nodiscard]] const matrix_type& features() const noexcept { return features_; }
    [[nodiscard]] const std::vector<std::int32_t>& labels() const noexcept { return labels_; }

    /// The examples at `rows`, in that order. ShapeError for a row outside
    /// the data set.
    [[nodiscard]] Dataset subset(std::span<const Index> rows) const {
        matrix_type features(static_cast<Index>(rows.size()), feature_count());
        std::vector<std::int32_t> labels(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (rows[i] < 0 || rows[i] >= size()) {
                throw ShapeError("data::Dataset::subset: row " + std::to_string(rows[i]) + " of a data set of " +
                                 std::to_string(size()));
            }
            features.row(static_cast<Index>(i)) = features_.row(rows[i]);
            labels[i] = labels_[static_cast<std::size_t>(rows[i])];
        }
        return Dataset(std::move(features), std::move(labels), class_count_);
    }

private:
    matrix_type features_;
    std::vector<std::int32_t> labels_;
    std::int32_t class_count_ = 1;
};

} // namespace fedpp::data
