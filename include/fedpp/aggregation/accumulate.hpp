// fedpp: streaming aggregation at a trusted location.
//
//     auto sum = fedpp::send(fedpp::WeightedSum<Model>(reference_model), aggregator);
//     fedpp::accumulate(sum, std::move(update_at_aggregator), examples);   // for each client
//     Model average = fedpp::average_of(sum).get();
#pragma once

#include "fedpp/aggregation/weighted_sum.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"

#include <utility>

namespace fedpp {

/// Adds the model `update` points to, with `weight`, to the sum `sum` points
/// to, at their trusted worker, and deletes the update there (also when it
/// is rejected; the exception then says why).
template <class M, Location L>
void accumulate(Pointer<WeightedSum<M>, L>& sum, Pointer<M, L>&& update, double weight) {
    static_assert(may_aggregate_at_v<L>, "fedpp::accumulate: aggregation must run at a trusted location; move the "
                                         "update to a TrustedAggregator first");
    Pointer<M, L> consumed = std::move(update); // deleted at the worker when this returns or throws
    detail::run_at<L>(detail::PointerAccess::seam(sum), sum.worker_id(), "fedpp::accumulate",
                      [weight](WeightedSum<M>& s, M& model) { s.add(model, weight); }, sum, consumed);
}

/// A pointer to the average of what `sum` holds, computed at its trusted
/// worker.
template <class M, Location L>
[[nodiscard]] Pointer<M, L> average_of(const Pointer<WeightedSum<M>, L>& sum) {
    static_assert(may_aggregate_at_v<L>, "fedpp::average_of: aggregation must run at a trusted location");
    detail::PointerAccess::require_live(sum, "fedpp::average_of");
    return detail::run_at<L>(detail::PointerAccess::seam(sum), sum.worker_id(), "fedpp::average_of",
                             [](WeightedSum<M>& s) { return s.average(); }, sum);
}

} // namespace fedpp
