// |actual - expected| / |expected|: how the tests compare fedpp's numbers
// with reference numbers (PyTorch's, computed offline).
#pragma once

#include <algorithm>
#include <cmath>

/// The relative error of `actual`; against an `expected` of zero, the
/// absolute error over the smallest positive double (so any error fails).
inline double relative_error(double actual, double expected) {
    return std::abs(actual - expected) / std::max(std::abs(expected), 1e-300);
}
