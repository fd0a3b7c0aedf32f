// fedpp: robust aggregation at a trusted location: the coordinate-wise
// median and trimmed mean of models (Yin et al., 2018, "Byzantine-Robust
// Distributed Learning"). A few clients sending arbitrary (finite) values
// cannot drag these anywhere, unlike a mean.
//
//     auto robust = fedpp::coordinate_median(updates);        // range of pointers at the aggregator
//     auto robust = fedpp::trimmed_mean(updates, 0.1);        // drop the top and bottom 10% per coordinate
//
// Same rules as fedavg: all pointers at one location, which must be trusted
// (compile errors otherwise); inputs never written; one result model plus
// one value per input of scratch memory. Needs all inputs at once, so, unlike
// the streaming WeightedSum, memory grows with the number of models.
#pragma once

#include "fedpp/aggregation/aggregate_at.hpp"
#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace fedpp {

namespace detail {

/// result[j] = reduce(values of coordinate j across the models), parameter
/// by parameter; `reduce` may reorder its scratch vector.
template <Averageable M, class Reduce>
M coordinate_wise(const char* operation, std::span<M* const> models, Reduce reduce) {
    check_models(operation, models);
    M result = independent_copy(*models[0]);
    auto out = parameters_of(result);
    using T = typename decltype(out)::value_type::scalar_type;
    std::vector<const T*> sources(models.size());
    std::vector<T> scratch(models.size());
    std::vector<decltype(out)> inputs; // every model's parameter handles
    inputs.reserve(models.size());
    for (M* model : models) {
        inputs.push_back(parameters_of(*model));
    }
    for (std::size_t k = 0; k < out.size(); ++k) {
        for (std::size_t i = 0; i < models.size(); ++i) {
            sources[i] = inputs[i][k].value().data();
        }
        T* target = out[k].value().data();
        const Index size = out[k].size();
        for (Index j = 0; j < size; ++j) {
            for (std::size_t i = 0; i < models.size(); ++i) {
                scratch[i] = sources[i][j];
            }
            target[j] = reduce(scratch);
        }
    }
    return result;
}

template <class T>
T median_of(std::vector<T>& values) {
    const std::size_t n = values.size();
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(values.begin(), middle, values.end());
    if (n % 2 == 1) {
        return *middle;
    }
    const T upper = *middle;
    const T lower = *std::max_element(values.begin(), middle);
    return lower + (upper - lower) / T(2);
}

template <class T>
T trimmed_mean_of(std::vector<T>& values, std::size_t trim) {
    std::sort(values.begin(), values.end());
    T sum = 0;
    for (std::size_t i = trim; i < values.size() - trim; ++i) {
        sum += values[i];
    }
    return sum / static_cast<T>(values.size() - 2 * trim);
}

/// The coordinate-wise median as an aggregation (no arguments).
struct CoordinateMedian {
    static constexpr const char* name = "coordinate_median";
    struct Parameters {};
    static Parameters read(ByteReader&) { return {}; }
    static std::vector<double> weights(const Parameters&, std::size_t) { return {}; }
    template <class M>
    static M combine(std::span<M* const> models, const Parameters&) {
        return coordinate_wise("coordinate_median", models, [](auto& values) { return median_of(values); });
    }
};

/// AggregationError unless `fraction` is in [0, 0.5) (then at least one
/// value of each coordinate remains): checked by the caller's trimmed_mean,
/// and again by the aggregator that reads it from a request.
inline void check_trim_fraction(double fraction) {
    if (!(fraction >= 0 && fraction < 0.5)) {
        throw AggregationError("trimmed_mean: the trim fraction must be in [0, 0.5), got " + std::to_string(fraction));
    }
}

/// The coordinate-wise trimmed mean as an aggregation (the trim fraction).
struct TrimmedMean {
    static constexpr const char* name = "trimmed_mean";
    using Parameters = double;
    static Parameters read(ByteReader& in) {
        const double fraction = in.read<double>();
        check_trim_fraction(fraction);
        return fraction;
    }
    static std::vector<double> weights(const Parameters&, std::size_t) { return {}; }
    template <class M>
    static M combine(std::span<M* const> models, const Parameters& fraction) {
        const auto trim = static_cast<std::size_t>(std::floor(fraction * double(models.size())));
        return coordinate_wise("trimmed_mean", models, [trim](auto& values) { return trimmed_mean_of(values, trim); });
    }
};

} // namespace detail

/// The coordinate-wise median of models (or tensors) at one trusted worker:
/// for an even count, the midpoint of the two middle values. An aggregate
/// of every data owner among the inputs (each counts once).
template <detail::PointerRange R>
[[nodiscard]] auto coordinate_median(const R& pointers) {
    using P = std::ranges::range_value_t<R>;
    detail::check_aggregation_rules<typename P::value_type, typename P::location_type>();
    const auto collected = detail::collect_pointers(pointers);
    return detail::aggregate_at<detail::CoordinateMedian, typename P::value_type, typename P::location_type>(
        collected, Bytes{});
}

/// The coordinate-wise trimmed mean: per coordinate, drop the
/// floor(trim_fraction * n) largest and smallest values and average the
/// rest. trim_fraction in [0, 0.5), and at least one value must remain.
template <detail::PointerRange R>
[[nodiscard]] auto trimmed_mean(const R& pointers, double trim_fraction) {
    using P = std::ranges::range_value_t<R>;
    detail::check_aggregation_rules<typename P::value_type, typename P::location_type>();
    detail::check_trim_fraction(trim_fraction);
    Bytes parameters;
    ByteWriter out(parameters);
    out.write(trim_fraction);
    const auto collected = detail::collect_pointers(pointers);
    return detail::aggregate_at<detail::TrimmedMean, typename P::value_type, typename P::location_type>(collected,
                                                                                                       parameters);
}

} // namespace fedpp
