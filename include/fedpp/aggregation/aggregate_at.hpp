// fedpp: running an aggregation at the trusted worker that holds its inputs.
#pragma once

#include "fedpp/aggregation/averageable.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"

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
    static_assert(may_aggregate_at_v<L>,
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

/// Runs `aggregate(std::span<M* const>)` at the (single, trusted) worker the
/// pointers refer to and returns a pointer to its result there.
/// AggregationError for no pointers, InvalidPointerError for a spent one,
/// LocationError for pointers at two workers of the location type.
template <class M, Location L, class Aggregate>
Pointer<M, L> aggregate_at(const char* operation, std::span<const Pointer<M, L>* const> pointers,
                           const Aggregate& aggregate) {
    if (pointers.empty()) {
        throw AggregationError(std::string(operation) + ": no models to aggregate");
    }
    const Pointer<M, L>& first = *pointers.front();
    PointerAccess::require_live(first, operation);
    const auto& seam = PointerAccess::seam(first);
    const WorkerId worker = first.worker_id();
    std::vector<std::pair<ObjectId, const ValueType*>> inputs;
    inputs.reserve(pointers.size());
    for (const Pointer<M, L>* pointer : pointers) {
        PointerAccess::require_at(*pointer, seam, worker, operation);
        inputs.emplace_back(pointer->id(), &value_type<M>());
    }
    const auto body = [&aggregate](std::span<RemoteObject* const> objects) -> std::unique_ptr<RemoteObject> {
        std::vector<M*> models;
        models.reserve(objects.size());
        for (RemoteObject* object : objects) {
            models.push_back(&static_cast<RemoteValue<M>&>(*object).value);
        }
        return std::make_unique<RemoteValue<M>>(aggregate(std::span<M* const>(models)));
    };
    return execute_at<M, L>(seam, worker, inputs, body);
}

} // namespace fedpp::detail
