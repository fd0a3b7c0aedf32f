// fedpp: the dense storage of every tensor, data set and model parameter.
#pragma once

#include <Eigen/Core>

namespace fedpp {

/// Sizes and positions, as Eigen counts them (signed).
using Index = Eigen::Index;

/// A dense, row-major matrix: what a Tensor holds (Tensor::value()), what a
/// layer is built from, what a data set's features are. Row-major keeps each
/// example (a row of a batch) contiguous.
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

} // namespace fedpp
