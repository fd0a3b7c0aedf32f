// fedpp: checks on a model's parameter tensors, shared by everything that
// combines or copies parameters (load_parameters, every aggregator).
#pragma once

#include "fedpp/base/compiled.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/simd_packets.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The shapes of a model's parameters, in order: what another model must
/// match to be combined with it.
using ParameterShapes = std::vector<std::pair<Index, Index>>;

template <class T>
ParameterShapes shapes_of(const std::vector<Tensor<T>>& parameters) {
    ParameterShapes shapes;
    shapes.reserve(parameters.size());
    for (const auto& p : parameters) {
        shapes.emplace_back(p.rows(), p.cols());
    }
    return shapes;
}

/// ShapeError unless `parameters` are laid out as `expected` (as many
/// tensors, each of the same shape). `operation` and `which` ("model 3",
/// "the update", "the source") name the culprit in the message.
template <class T>
void check_layout(std::string_view operation, const ParameterShapes& expected,
                  const std::vector<Tensor<T>>& parameters, std::string_view which) {
    if (parameters.size() != expected.size()) {
        throw ShapeError(std::string(operation) + ": " + std::string(which) + " has " +
                         std::to_string(parameters.size()) + " parameter tensors, expected " +
                         std::to_string(expected.size()));
    }
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        const auto [rows, cols] = expected[k];
        if (parameters[k].rows() != rows || parameters[k].cols() != cols) {
            throw ShapeError(std::string(operation) + ": parameter " + std::to_string(k) + " of " +
                             std::string(which) + " is " + parameters[k].shape_string() + ", expected " +
                             shape_of(rows, cols));
        }
    }
}

/// True when the `count` values at `values` are all finite. x * 0 is 0 for
/// every finite x and NaN otherwise, so one vectorised sum answers for them
/// all. Four independent sums of packets: each chain of additions waits on
/// every addition's latency, and Eigen's `(v * 0).sum()` keeps two chains.
/// 4,810 floats in the level-1 cache of an AMD EPYC (Zen 4): 490 → 300 ns
/// with SSE2, 300 → 155 ns with AVX2, 146 → 93-106 ns with AVX-512.
template <class T>
bool all_finite(const T* values, Index count) noexcept {
    using Eigen::internal::padd;
    using Eigen::internal::pmadd;
    using Packet = SimdPacket<T>;
    constexpr Index width = simd_packet_size<T>;
    const auto load = [values](Index at) { return Eigen::internal::ploadu<Packet>(values + at); };
    const Packet zero = Eigen::internal::pset1<Packet>(T(0));
    Packet s0 = zero;
    Packet s1 = zero;
    Packet s2 = zero;
    Packet s3 = zero;
    Index i = 0;
    for (; i + 4 * width <= count; i += 4 * width) {
        s0 = pmadd(load(i), zero, s0);
        s1 = pmadd(load(i + width), zero, s1);
        s2 = pmadd(load(i + 2 * width), zero, s2);
        s3 = pmadd(load(i + 3 * width), zero, s3);
    }
    for (; i + width <= count; i += width) {
        s0 = pmadd(load(i), zero, s0);
    }
    T rest = 0;
    for (; i < count; ++i) {
        rest += values[i] * T(0);
    }
    return Eigen::internal::predux(padd(padd(s0, s1), padd(s2, s3))) + rest == T(0);
}

/// The index of the first parameter tensor holding a NaN or an infinity,
/// or parameters.size() if all are finite.
template <class T>
std::size_t first_non_finite(const std::vector<Tensor<T>>& parameters) {
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        if (const auto& v = parameters[k].value(); !all_finite(v.data(), v.size())) {
            return k;
        }
    }
    return parameters.size();
}

} // namespace fedpp::detail

// Compiled once in fedpp::compiled for float and double (fedpp/base/compiled.hpp).
#define FEDPP_PARAMETER_CHECK_FUNCTIONS(X, T)                                                                   \
    X(void fedpp::detail::check_layout<T>(std::string_view, const fedpp::detail::ParameterShapes&,             \
                                          const std::vector<fedpp::Tensor<T>>&, std::string_view))
FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(FEDPP_PARAMETER_CHECK_FUNCTIONS);
