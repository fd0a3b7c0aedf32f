// fedpp: streaming aggregation at a trusted location.
//
//     auto sum = fedpp::send(fedpp::WeightedSum<Model>(reference_model), aggregator);
//     fedpp::accumulate(sum, std::move(update_at_aggregator), examples);   // for each client
//     fedpp::accumulate(sum, std::move(update_at_client), examples);       // or straight from its client
//     Model average = fedpp::average_of(sum).get();
//
// Each operation is a computation of fedpp's own at the trusted worker: a
// sum there is never read or run on by the model owner's code, and its
// average is released only as an Aggregate of enough data owners.
#pragma once

#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/aggregation/weighted_sum.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/transport/computation.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace fedpp {

namespace detail {

template <class M>
WeightedSum<M>& sum_in(const Invocation& invocation, std::size_t i) {
    return static_cast<RemoteValue<WeightedSum<M>>&>(*invocation.objects[i]).value;
}

/// sum (object 0) += weight * update (object 1), the update's data owner
/// counted as a contributor; the update must be a data owner's
/// (require_contribution).
template <class M>
struct AccumulateComputation {
    static constexpr bool aggregation = true;
    static constexpr bool spends_contributions = true;
    /// The update is read and added, never kept: read where it is when it
    /// holds every parameter alone (nothing else can change it meanwhile).
    static bool reads_in_place(const RemoteObject& forwarded) {
        return holds_parameters_alone(static_cast<const RemoteValue<M>&>(forwarded).value);
    }
    static std::string name() { return "fedpp.accumulate(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<WeightedSum<M>>(), &value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        check_not_dp_only("accumulate", invocation.rules);
        require_contribution("accumulate", invocation.contributors[1], "the update");
        ByteReader arguments(invocation.arguments, "accumulate");
        const auto weight = arguments.read<double>();
        arguments.expect_end();
        WeightedSum<M>& sum = sum_in<M>(invocation, 0);
        const M& update = static_cast<RemoteValue<M>&>(*invocation.objects[1]).value;
        sum.add(sum.check(update), weight, invocation.contributors[1]);
        return nullptr;
    }
};

/// The Aggregate of a sum (object 0), if enough data owners are in it.
template <class M>
struct AverageOfComputation {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.average_of(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<WeightedSum<M>>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        check_not_dp_only("average_of", invocation.rules);
        ByteReader arguments(invocation.arguments, "average_of");
        const auto required =
            std::max(static_cast<std::size_t>(arguments.read<std::uint64_t>()), invocation.rules.min_contributions);
        arguments.expect_end();
        WeightedSum<M>& sum = sum_in<M>(invocation, 0);
        sum.check_open("average_of");
        const std::size_t counted = sum.contributions(invocation.rules.min_weight_ratio);
        require_contributions("average_of", counted, required);
        auto aggregate = std::make_unique<RemoteValue<Aggregate<M>>>(AggregateAccess::make(sum.average(), counted));
        sum.mark_released();
        return aggregate;
    }
};

/// sum (object 0) += part (object 1); part is emptied, so that nothing in
/// it can be counted twice. At a worker that releases only DP aggregates,
/// no data owner may be in both (one update per data owner in a sum).
template <class M>
struct MergeComputation {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.merge(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() {
        return {&value_type<WeightedSum<M>>(), &value_type<WeightedSum<M>>()};
    }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        if (invocation.objects[0] == invocation.objects[1]) { // (a request names objects by id)
            throw AggregationError("merge: a sum cannot be merged into itself");
        }
        WeightedSum<M>& part = sum_in<M>(invocation, 1);
        WeightedSum<M>& sum = sum_in<M>(invocation, 0);
        if (invocation.rules.dp_only() && sum.shares_contributor_with(part)) {
            throw PermissionDeniedError("merge: a data owner has updates in both sums; a sum released with DP noise "
                                        "holds one update per data owner, as the noise is calibrated to one");
        }
        sum.merge(part);
        part.reset();
        return nullptr;
    }
};

/// Empties a sum (object 0), keeping its memory.
template <class M>
struct ResetComputation {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.reset(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<WeightedSum<M>>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        sum_in<M>(invocation, 0).reset();
        return nullptr;
    }
};

template <class Computed, class Result, Location L, class... Pointers>
auto execute_on(const char* operation, const Bytes& arguments, const Pointers&... pointers) {
    const auto& first = std::get<0>(std::tie(pointers...));
    PointerAccess::require_live(first, operation);
    const auto& seam = PointerAccess::seam(first);
    (PointerAccess::require_at(pointers, seam, first.worker_id(), operation), ...);
    const std::array<ObjectRef, sizeof...(Pointers)> inputs{
        ObjectRef{pointers.id(), &value_type<typename Pointers::value_type>()}...};
    return execute_at<Result, L>(seam, first.worker_id(), computation_of<Computed>(), inputs, arguments);
}

template <class L>
constexpr void check_streaming_rules() {
    static_assert(AggregationLocation<L>, "fedpp::accumulate: aggregation must run at a trusted location; move the "
                                         "update to a TrustedAggregator first");
}

} // namespace detail

/// Adds the model `update` points to, with `weight`, to the sum `sum` points
/// to, at their trusted worker, and deletes the update there (also when it
/// is rejected: ShapeError, AggregationError say why; PermissionDeniedError
/// if it is not a data owner's contribution).
template <class M, Location L>
void accumulate(Pointer<WeightedSum<M>, L>& sum, Pointer<M, L>&& update, double weight) {
    detail::check_streaming_rules<L>();
    Pointer<M, L> consumed = std::move(update); // deleted at the worker when this returns or throws
    Bytes arguments;
    ByteWriter out(arguments);
    out.write(weight);
    detail::execute_on<detail::AccumulateComputation<M>, void, L>("fedpp::accumulate", arguments, sum, consumed);
}

/// Moves the model `update` points to, at a data owner, straight into the
/// sum `sum` points to and adds it there with `weight`: what
/// `accumulate(sum, update.move(aggregator), weight)` does, without the
/// update ever being stored at the aggregator. Across processes the update
/// moves and is then added; in one process (InProcessTransport) it is not
/// encoded, and the sum reads it in place when it alone holds its tensors:
/// this is how a round of many small clients stays cheap. Published data is
/// refused (it stays where it is). The update is spent once it has crossed, also when
/// the sum rejects it (ShapeError, AggregationError say why, and the sum is
/// unchanged); if it could not cross, it stays where it was.
template <class M, Location L, Location From>
    requires(!std::same_as<From, L>)
void accumulate(Pointer<WeightedSum<M>, L>& sum, Pointer<M, From>&& update, double weight) {
    detail::check_streaming_rules<L>();
    static_assert(MovableBetween<M, From, L>,
                  "fedpp::accumulate: the update's location may not move it to the sum's (the rules of "
                  "Pointer::move): only a data owner's update goes into a TrustedAggregator's sum");
    using detail::PointerAccess;
    PointerAccess::require_live(sum, "fedpp::accumulate");
    PointerAccess::require_live(update, "fedpp::accumulate");
    const auto& seam = PointerAccess::seam(sum);
    if (PointerAccess::seam(update) != seam) {
        detail::throw_other_federation("fedpp::accumulate");
    }
    if (!seam->transport().forwards_into_computations()) {
        accumulate(sum, PointerAccess::forward<M, L>(update, sum.worker_id()), weight);
        return;
    }
    Bytes arguments;
    ByteWriter out(arguments);
    out.write(weight);
    const std::array<ObjectRef, 1> inputs{ObjectRef{sum.id(), &detail::value_type<WeightedSum<M>>()}};
    (void)PointerAccess::forward_into(update, sum.worker_id(), detail::computation_of<detail::AccumulateComputation<M>>(),
                                      inputs, arguments, "fedpp::accumulate");
}

/// A pointer to the average of what `sum` holds, an Aggregate at its trusted
/// worker. InsufficientContributionsError if fewer than the location's
/// min_contributions data owners are in it; AggregationError if its total
/// weight is zero.
template <class M, Location L>
[[nodiscard]] Pointer<Aggregate<M>, L> average_of(const Pointer<WeightedSum<M>, L>& sum) {
    detail::check_streaming_rules<L>();
    Bytes arguments;
    ByteWriter out(arguments);
    out.write<std::uint64_t>(min_contributions_v<L>);
    return detail::execute_on<detail::AverageOfComputation<M>, Aggregate<M>, L>("fedpp::average_of", arguments, sum);
}

/// Adds the sum `part` to `sum` (at one trusted worker) and empties `part`.
template <class M, Location L>
void merge(Pointer<WeightedSum<M>, L>& sum, Pointer<WeightedSum<M>, L>& part) {
    detail::check_streaming_rules<L>();
    detail::execute_on<detail::MergeComputation<M>, void, L>("fedpp::merge", Bytes{}, sum, part);
}

/// Empties `sum`, keeping its memory.
template <class M, Location L>
void reset(Pointer<WeightedSum<M>, L>& sum) {
    detail::check_streaming_rules<L>();
    detail::execute_on<detail::ResetComputation<M>, void, L>("fedpp::reset", Bytes{}, sum);
}

} // namespace fedpp
