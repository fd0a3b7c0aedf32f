// fedpp: data::Dataset, examples (rows of features) with integer class labels.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/tensor/image_shape.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::data {

/// n examples of d features (an n x d row-major matrix) and n labels in
/// [0, class_count). A value type: copies are deep.
///
/// Examples that are images may carry their shape (C, H, W), with C*H*W = d:
/// the features are then already the N x C x H x W batch a convolution
/// takes, in PyTorch's NCHW order (fedpp/tensor/image_shape.hpp), with no
/// copy; image() views one channel of one example as an H x W matrix.
/// load_mnist gives 1x28x28, load_digits 1x8x8; subsets keep the shape.
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

    /// The same, with examples that are images of `image_shape`.
    /// ShapeError unless image_shape.size() is the number of features.
    Dataset(matrix_type features, std::vector<std::int32_t> labels, std::int32_t class_count, ImageShape image_shape)
        : Dataset(std::move(features), std::move(labels), class_count) {
        set_image_shape(image_shape);
    }

    [[nodiscard]] Index size() const noexcept { return features_.rows(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] Index feature_count() const noexcept { return features_.cols(); }
    [[nodiscard]] std::int32_t class_count() const noexcept { return class_count_; }
    [[nodiscard]] const matrix_type& features() const noexcept { return features_; }
    [[nodiscard]] const std::vector<std::int32_t>& labels() const noexcept { return labels_; }

    [[nodiscard]] bool has_image_shape() const noexcept { return image_shape_.has_value(); }
    /// The shape of each example as an image. ShapeError if it has none.
    [[nodiscard]] ImageShape image_shape() const {
        if (!image_shape_) {
            throw ShapeError("data::Dataset: the examples have no image shape (load_mnist and load_digits give "
                             "one; give a data set of " +
                             std::to_string(feature_count()) + " features one with set_image_shape)");
        }
        return *image_shape_;
    }
    /// Declares the examples images of `shape` (no copy). ShapeError unless
    /// shape.size() is the number of features.
    void set_image_shape(ImageShape shape) {
        detail::check_image_shape("data::Dataset::set_image_shape", shape);
        if (shape.size() != feature_count()) {
            throw ShapeError("data::Dataset: images of " + shape.to_string() + " have " +
                             std::to_string(shape.size()) + " pixels, but the examples have " +
                             std::to_string(feature_count()) + " features");
        }
        image_shape_ = shape;
    }
    /// Channel `channel` of example `example` as an H x W matrix: a view of
    /// features(), valid while the data set is. ShapeError without an image
    /// shape or for an example or channel out of range.
    [[nodiscard]] Eigen::Map<const matrix_type> image(Index example, Index channel = 0) const {
        const ImageShape shape = image_shape();
        if (example < 0 || example >= size() || channel < 0 || channel >= shape.channels) {
            throw ShapeError("data::Dataset::image: example " + std::to_string(example) + ", channel " +
                             std::to_string(channel) + " of " + std::to_string(size()) + " examples of " +
                             shape.to_string());
        }
        return {features_.data() + example * feature_count() + channel * shape.height * shape.width, shape.height,
                shape.width};
    }

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
        Dataset out(std::move(features), std::move(labels), class_count_);
        out.image_shape_ = image_shape_;
        return out;
    }

private:
    matrix_type features_;
    std::vector<std::int32_t> labels_;
    std::int32_t class_count_ = 1;
    std::optional<ImageShape> image_shape_;
};

} // namespace fedpp::data
