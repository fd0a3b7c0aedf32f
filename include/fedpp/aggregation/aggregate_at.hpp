// fedpp: running an aggregation at the trusted worker that holds its inputs.
//
// An aggregation is a computation over any number of models at one trusted
// worker that returns an Aggregate<M>: it checks that enough different data
// owners contributed (contributions.hpp) and combines the models.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/aggregation/checks.hpp"
#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/transport/computation.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator> // std::ranges::input_range and range_value_t (not all of <ranges>)
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail {

/// The rules every aggregation (fedavg, coordinate_median, trimmed_mean,
/// accumulate) checks at compile time.
template <class M, class L>
void check_aggregation_rules() {
    static_assert(AggregationLocation<L>,
                  "fedpp: aggregation (fedavg, coordinate_median, trimmed_mean) must run at a trusted location; "
                  "the models are at a location that is not trusted. Move them to a TrustedAggregator first.");
    static_assert(Averageable<M>, "fedpp: can aggregate models (nn::Model: parameters() and copy()) and "
                                  "tensors only");
}

template <class R>
concept PointerRange = std::ranges::input_range<R> && requires(std::ranges::range_value_t<R>& p) {
    typename std::ranges::range_value_t<R>::value_type;
    typename std::ranges::range_value_t<R>::location_type;
};

template <PointerRange R>
auto collect_pointers(const R& pointers) {
    using P = std::ranges::range_value_t<R>;
    std::vector<const Pointer<typename P::value_type, typename P::location_type>*> out;
    for (const auto& pointer : pointers) {
        out.push_back(&pointer);
    }
    return out;
}

/// PermissionDeniedError if an object is among `inputs` twice: the
/// aggregator's own refusal (a request from another process names the
/// objects by id; aggregate_at refuses it at the caller already). The same
/// model twice beside another's would let one data owner's model decide
/// the aggregate (the median of {b, b, a} is b).
inline void check_distinct_inputs(const char* operation, std::span<RemoteObject* const> inputs) {
    std::vector<const RemoteObject*> sorted(inputs.begin(), inputs.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
        throw PermissionDeniedError(std::string(operation) + ": the same model is given twice");
    }
}

/// PermissionDeniedError unless every input is a data owner's contribution
/// (require_contribution).
inline void check_contributions_only(const char* operation, std::span<const ContributorId> contributors) {
    for (std::size_t i = 0; i < contributors.size(); ++i) {
        require_contribution(operation, contributors[i], "model " + std::to_string(i));
    }
}

/// The Computation of aggregation `Kind` over models M. Kind provides
/// `name`, `Parameters`, `read(ByteReader&)` (the by-value arguments),
/// `weights(parameters, n)` (empty: all equal) and
/// `combine(std::span<M* const>, const Parameters&)`. Every model must be
/// a data owner's contribution (check_contributions_only).
template <class M, class Kind>
struct AggregationComputation {
    static constexpr bool variadic = true;
    static constexpr bool aggregation = true;
    static constexpr bool spends_contributions = true;
    static std::string name() { return std::string("fedpp.") + Kind::name + "(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<M>()}; }

    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        check_not_dp_only(Kind::name, invocation.rules);
        ByteReader arguments(invocation.arguments, Kind::name);
        const auto required =
            std::max(static_cast<std::size_t>(arguments.read<std::uint64_t>()), invocation.rules.min_contributions);
        const typename Kind::Parameters parameters = Kind::read(arguments);
        arguments.expect_end();
        std::vector<M*> models;
        models.reserve(invocation.objects.size());
        for (RemoteObject* object : invocation.objects) {
            models.push_back(&static_cast<RemoteValue<M>&>(*object).value);
        }
        const std::vector<double> weights = Kind::weights(parameters, models.size());
        if (!weights.empty()) { // one finite weight >= 0 per model, checked before any is read
            (void)checked_weights(Kind::name, weights, models.size());
        }
        check_contributions_only(Kind::name, invocation.contributors);
        const std::size_t count =
            counted_contributors(contributor_weights(invocation.contributors, weights), invocation.rules.min_weight_ratio);
        require_contributions(Kind::name, count, required);
        check_distinct_inputs(Kind::name, invocation.objects);
        return std::make_unique<RemoteValue<Aggregate<M>>>(
            AggregateAccess::make(Kind::combine(std::span<M* const>(models), parameters), count));
    }
};

/// Runs aggregation `Kind` at the (single, trusted) worker the pointers
/// refer to, with its encoded `parameters`, and returns a pointer to the
/// Aggregate there. AggregationError for no pointers or the same object
/// twice, InvalidPointerError for a spent one, LocationError for pointers at
/// two workers of the location type, InsufficientContributionsError (at the
/// worker) for too few data owners.
template <class Kind, class M, Location L>
Pointer<Aggregate<M>, L> aggregate_at(std::span<const Pointer<M, L>* const> pointers, const Bytes& parameters) {
    const char* operation = Kind::name;
    if (pointers.empty()) {
        throw AggregationError(std::string(operation) + ": no models to aggregate");
    }
    const Pointer<M, L>& first = *pointers.front();
    PointerAccess::require_live(first, operation);
    const auto& seam = PointerAccess::seam(first);
    const WorkerId worker = first.worker_id();
    std::vector<ObjectRef> inputs;
    inputs.reserve(pointers.size());
    for (const Pointer<M, L>* pointer : pointers) {
        PointerAccess::require_at(*pointer, seam, worker, operation);
        inputs.push_back(ObjectRef{pointer->id(), &value_type<M>()});
    }
    std::vector<ObjectId> ids(pointers.size());
    std::transform(inputs.begin(), inputs.end(), ids.begin(), [](const ObjectRef& ref) { return ref.id; });
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
        throw AggregationError(std::string(operation) + ": the same model is given twice");
    }
    Bytes arguments;
    ByteWriter out(arguments);
    out.write<std::uint64_t>(min_contributions_v<L>);
    out.write_bytes(parameters);
    return execute_at<Aggregate<M>, L>(seam, worker, computation_of<AggregationComputation<M, Kind>>(), inputs,
                                      arguments);
}

} // namespace fedpp::detail
