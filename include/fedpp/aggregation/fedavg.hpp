// fedpp: federated averaging (FedAvg) at a trusted location.
//
//     auto average = fedpp::fedavg(bobs_model, alices_model);  // both at secure_worker
//     auto average = fedpp::fedavg(models);                    // a range of pointers
//     auto average = fedpp::fedavg(models, example_counts);    // weighted
//
// The average is computed where the models are and stays there: the result
// is a Pointer at the same trusted location. Compile-time rules: all models
// must be at one location, and that location must be trusted.
#pragma once

#include "fedpp/aggregation/aggregate_at.hpp"
#include "fedpp/aggregation/average.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/trust.hpp"

#include <array>
#include <iterator>
#include <span>
#include <type_traits>
#include <vector>

namespace fedpp {

namespace detail {
template <class M, Location L>
Pointer<M, L> fedavg_at(std::span<const Pointer<M, L>* const> pointers, std::span<const double> weights) {
    return aggregate_at<M, L>("fedavg", pointers,
                              [weights](std::span<M* const> models) { return average<M>(models, weights); });
}
} // namespace detail

/// The unweighted average of models (or tensors) at one trusted location:
/// fedavg(bobs_model, alices_model). Inputs are left untouched; the result
/// is a new object at the same worker.
template <class M, Location L, class... Ms, class... Ls>
[[nodiscard]] Pointer<M, L> fedavg(const Pointer<M, L>& first, const Pointer<Ms, Ls>&... rest) {
    static_assert((same_location_v<Ls, L> && ...),
                  "fedpp::fedavg: the models live at different locations; move them all to one "
                  "TrustedAggregator first");
    static_assert((std::is_same_v<Ms, M> && ...), "fedpp::fedavg: all models must have the same type");
    detail::check_aggregation_rules<M, L>();
    const std::array<const Pointer<M, L>*, 1 + sizeof...(rest)> pointers{&first, &rest...};
    return detail::fedavg_at<M, L>(pointers, {});
}

/// The unweighted average of a range of pointers (a std::vector of them, say),
/// all at one trusted worker. AggregationError for an empty range.
template <detail::PointerRange R>
[[nodiscard]] auto fedavg(const R& pointers) {
    using P = std::ranges::range_value_t<R>;
    detail::check_aggregation_rules<typename P::value_type, typename P::location_type>();
    const auto collected = detail::collect_pointers(pointers);
    return detail::fedavg_at<typename P::value_type, typename P::location_type>(collected, {});
}

/// The average weighted by `weights` (example counts, typically): one
/// finite weight >= 0 per model, with a positive total.
template <detail::PointerRange R, std::ranges::input_range W>
    requires std::is_arithmetic_v<std::ranges::range_value_t<W>>
[[nodiscard]] auto fedavg(const R& pointers, const W& weights) {
    using P = std::ranges::range_value_t<R>;
    detail::check_aggregation_rules<typename P::value_type, typename P::location_type>();
    const auto collected = detail::collect_pointers(pointers);
    std::vector<double> as_double;
    for (const auto& weight : weights) {
        as_double.push_back(static_cast<double>(weight));
    }
    if (collected.empty()) {
        throw AggregationError("fedavg: no models to aggregate");
    }
    detail::checked_total_weight("fedavg", as_double, collected.size());
    return detail::fedavg_at<typename P::value_type, typename P::location_type>(collected, as_double);
}

} // namespace fedpp
