// What every decoded value must satisfy, checked by the fuzz targets: a
// value that decodes but breaks one is a finding (the process traps).
#pragma once

#include <fedpp/fedpp.hpp>

namespace fuzzing {

/// Shapes are sizes: never negative (a forged size must be refused, not
/// wrapped), and a matrix's size is rows x cols.
template <class Derived>
void require_valid(const Eigen::MatrixBase<Derived>& m) {
    if (m.rows() < 0 || m.cols() < 0 || m.size() != m.rows() * m.cols()) {
        __builtin_trap();
    }
}

template <class T>
void require_valid(const fedpp::Tensor<T>& t) {
    require_valid(t.value());
}

template <class M>
void require_valid_model(const M& model) {
    for (const auto& parameter : model.parameters()) {
        require_valid(parameter);
    }
}

} // namespace fuzzing
