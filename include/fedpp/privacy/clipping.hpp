// fedpp: bounding a client's influence: its model update, clipped in L2
// norm (McMahan, Ramage, Talwar and Zhang 2018, "Learning Differentially
// Private Recurrent Language Models", "flat clipping").
//
//     M update = fedpp::privacy::model_update(trained, global);   // trained - global
//     auto clip = fedpp::privacy::clip_l2(update, bound);         // norm over all parameters <= bound
//
// The norm is one norm over every parameter tensor of the model, not one
// per tensor, computed in double precision whatever the model's scalar
// type. An update within the bound is left exactly as it was; one beyond
// it is scaled by bound / norm, and if rounding the scaled values to the
// model's scalar type leaves its norm a few ulps above the bound, it is
// shrunk again until l2_norm(update) <= bound holds: the sensitivity the
// noise is calibrated to is then a bound on what is summed, not an
// approximation of one.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/tensor/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

namespace fedpp::detail {

/// The sum of the squares of n values, in double: four running sums, which
/// the processor keeps in flight at once (Eigen's cast-then-squaredNorm is
/// several times slower on floats), then added pairwise. Every term is >= 0,
/// so nothing cancels: the relative error is below (n / 4) 2^-53.
template <class T>
double sum_of_squares(const T* values, Index n) noexcept {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    Index i = 0;
    for (; i + 4 <= n; i += 4) {
        const auto a = static_cast<double>(values[i]);
        const auto b = static_cast<double>(values[i + 1]);
        const auto c = static_cast<double>(values[i + 2]);
        const auto d = static_cast<double>(values[i + 3]);
        s0 += a * a;
        s1 += b * b;
        s2 += c * c;
        s3 += d * d;
    }
    for (; i < n; ++i) {
        const auto a = static_cast<double>(values[i]);
        s0 += a * a;
    }
    return (s0 + s1) + (s2 + s3);
}

/// Multiplies every parameter of `model` by `factor`, in double precision
/// and rounded once to the model's scalar type.
template <nn::Model M>
void scale_parameters(M& model, double factor) {
    using T = typename M::scalar_type;
    for (auto& p : model.parameters()) {
        p.value() = (p.value().template cast<double>() * factor).template cast<T>();
    }
}

/// The L2 norm of `model`'s values when their squares overflow a double:
/// scaled by the largest magnitude first. NaN if any value is NaN,
/// infinity if any is infinite.
template <nn::Model M>
double rescaled_l2_norm(const M& model) {
    double largest = 0;
    for (const auto& p : model.parameters()) {
        if (p.size() == 0) {
            continue;
        }
        if (p.value().hasNaN()) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        largest = std::max(largest, static_cast<double>(p.value().cwiseAbs().maxCoeff()));
    }
    if (!std::isfinite(largest) || largest == 0) {
        return largest;
    }
    double scaled = 0;
    for (const auto& p : model.parameters()) {
        scaled += (p.value().template cast<double>() / largest).squaredNorm();
    }
    return largest * std::sqrt(scaled);
}

} // namespace fedpp::detail

namespace fedpp::privacy {

/// sqrt(sum of the squares of every parameter value), in double. NaN if a
/// value is NaN, infinity if one is infinite.
template <nn::Model M>
[[nodiscard]] double l2_norm(const M& model) {
    double sum = 0;
    for (const auto& p : model.parameters()) {
        sum += detail::sum_of_squares(p.value().data(), p.size());
    }
    return std::isfinite(sum) ? std::sqrt(sum) : detail::rescaled_l2_norm(model);
}

/// trained - global, parameter by parameter: what a client's training
/// changed. ShapeError if the two models are laid out differently.
template <nn::Model M>
[[nodiscard]] M model_update(const M& trained, const M& global) {
    M update = trained.copy();
    const auto to = update.parameters();
    const auto from = global.parameters();
    if (to.size() != from.size()) {
        throw ShapeError("privacy::model_update: the models have " + std::to_string(to.size()) + " and " +
                         std::to_string(from.size()) + " parameter tensors");
    }
    for (std::size_t k = 0; k < to.size(); ++k) {
        if (to[k].rows() != from[k].rows() || to[k].cols() != from[k].cols()) {
            throw ShapeError("privacy::model_update: parameter " + std::to_string(k) + " is " + to[k].shape_string() +
                             " in the trained model but " + from[k].shape_string() + " in the global one");
        }
    }
    for (std::size_t k = 0; k < to.size(); ++k) {
        auto difference = to[k];
        difference.value() -= from[k].value();
    }
    return update;
}

/// What clip_l2 did.
struct ClipResult {
    double norm = 0;    ///< the update's L2 norm before clipping
    double factor = 1;  ///< what it was multiplied by (1: left as it was)
    bool clipped = false;
};

/// Scales `update` so that its L2 norm is at most `bound` (see the file
/// comment). ArgumentError if the bound is not finite and > 0, or the
/// update holds a NaN or an infinity (it is then left as it was).
template <nn::Model M>
ClipResult clip_l2(M& update, double bound) {
    if (!(bound > 0 && std::isfinite(bound))) {
        throw ArgumentError("privacy::clip_l2: the bound must be finite and > 0, got " + std::to_string(bound));
    }
    const double norm = l2_norm(update);
    if (!std::isfinite(norm)) {
        throw ArgumentError("privacy::clip_l2: the update holds NaN or infinite values");
    }
    if (norm <= bound) {
        return {norm, 1.0, false};
    }
    double factor = bound / norm;
    detail::scale_parameters(update, factor);
    // Each shrink aims 4 ulps of the scalar type below the bound, more than
    // the rounding of the scaled values can add back; one is the most ever
    // seen needed, the limit only guards against a broken invariant.
    constexpr double margin = 4 * std::numeric_limits<typename M::scalar_type>::epsilon();
    for (int attempt = 0; attempt < 16; ++attempt) {
        const double after = l2_norm(update);
        if (after <= bound) {
            return {norm, factor, true};
        }
        const double shrink = bound / after * (1 - margin);
        detail::scale_parameters(update, shrink);
        factor *= shrink;
    }
    throw Error("privacy::clip_l2: could not bring the update's norm within the bound");
}

} // namespace fedpp::privacy
