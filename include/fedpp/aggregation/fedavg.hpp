// fedpp: federated averaging (FedAvg) at a trusted location.
//
//     auto average = fedpp::fedavg(bobs_model, alices_model);  // both at secure_worker
//     auto average = fedpp::fedavg(models);                    // a range of pointers
//     auto average = fedpp::fedavg(models, example_counts);    // weighted
//
// The average is computed where the models are and stays there: the result
// is a Pointer to an Aggregate<M> at the same trusted location, which the
// model owner may read. Compile-time rules: all models must be at one
// location, and that location must be trusted. Run-time rules: every model
// is a data owner's contribution (PermissionDeniedError otherwise), and at
// least the location's min_contributions data owners contribute with a
// positive weight (InsufficientContributionsError otherwise).
#pragma once

#include "fedpp/aggregation/aggregate_at.hpp"
#include "fedpp/aggregation/average.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/trust.hpp"

#include <array>
#include <cstdint>
#include <iterator>
#include <span>
#include <type_traits>
#include <vector>

namespace fedpp {

namespace detail {
/// fedavg as an aggregation: the weights (none: all equal) as its argument.
struct FedAvg {
    static constexpr const char* name = "fedavg";
    using Parameters = std::vector<double>;
    static Parameters read(ByteReader& in) { return Codec<std::vector<double>>::decode(in); }
    static std::vector<double> weights(const Parameters& weights, std::size_t) { return weights; }
    template <class M>
    static M combine(std::span<M* const> models, const Parameters& weights) {
        return average<M>(models, weights);
    }
};

template <class M, Location L>
Pointer<Aggregate<M>, L> fedavg_at(std::span<const Pointer<M, L>* const> pointers, const std::vector<double>& weights) {
    Bytes parameters;
    parameters.reserve(sizeof(std::uint64_t) + weights.size() * sizeof(double));
    ByteWriter out(parameters);
    Codec<std::vector<double>>::encode(weights, out);
    return aggregate_at<FedAvg, M, L>(pointers, parameters);
}
} // namespace detail

/// The unweighted average of models (or tensors) at one trusted location:
/// fedavg(bobs_model, alices_model). Inputs are left untouched; the result
/// is a new object at the same worker.
template <class M, Location L, class... Ms, class... Ls>
[[nodiscard]] Pointer<Aggregate<M>, L> fedavg(const Pointer<M, L>& first, const Pointer<Ms, Ls>&... rest) {
    static_assert((SameLocation<Ls, L> && ...),
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
    (void)detail::checked_weights("fedavg", as_double, collected.size());
    return detail::fedavg_at<typename P::value_type, typename P::location_type>(collected, as_double);
}

} // namespace fedpp
