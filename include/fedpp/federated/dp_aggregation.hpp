// fedpp: the aggregator's part of a DP-FedAvg round (see dp_config.hpp).
//
// Three computations of fedpp's own, run at the trusted aggregator:
//  - dp_accumulate: checks that a clipped update's L2 norm is within the
//    round's clip norm (an update that is not is rejected: the noise is
//    calibrated to that bound) and adds it, with its weight w_k, to a sum;
//  - dp_release: global + (sum + N(0, stddev^2) per value) / denominator,
//    released as an Aggregate: the model owner never sees the noise-free
//    sum;
//  - dp_count: adaptive clipping's noised count of the clients whose update
//    was within the clip norm, released as the clipping state of the next
//    round (the new clip norm), an Aggregate too.
// The noise's generator is seeded by the caller (derive_seed(seed, round,
// dp_noise_stream)), mixed with the aggregator's own secret where it has one
// (Invocation::noise_secret: an aggregator party's Policy::private_noise, on
// by default) and a digest, keyed by that secret, of what is released
// (noise_seed). In one process there is no secret: runs are reproducible
// and resumable, but whoever knows the run's seed can recompute the noise
// (privacy/gaussian_noise.hpp says what that means: simulation and
// research, not protection of real users). dp_accumulate takes data
// owners' contributions only, with weights in [0, 1] only (McMahan et
// al.'s w_k): a larger weight would scale one client's update past the
// bound the noise is calibrated to.
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/aggregation/noise_seed.hpp"
#include "fedpp/aggregation/weighted_sum.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/io/bytes.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/privacy/adaptive_clipping.hpp"
#include "fedpp/privacy/clipping.hpp"
#include "fedpp/privacy/dp_estimator.hpp"
#include "fedpp/transport/computation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fedpp::detail {

/// sum (object 0) += weight * update (object 1), if the update (a data
/// owner's contribution) has an L2 norm of at most the bound; arguments:
/// weight, bound (f64). At a worker that releases only DP aggregates, one
/// update per data owner in a sum: the noise is calibrated to one.
template <class M>
struct DpAccumulateComputation {
    static constexpr bool aggregation = true;
    static constexpr bool spends_contributions = true;
    static std::string name() { return "fedpp.dp_accumulate(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<WeightedSum<M>>(), &value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        require_contribution("dp_accumulate", invocation.contributors[1], "the update");
        ByteReader arguments(invocation.arguments, "dp_accumulate");
        const auto weight = arguments.read<double>();
        const auto bound = arguments.read<double>();
        arguments.expect_end();
        if (!(weight >= 0 && weight <= 1)) {
            throw AggregationError("dp_accumulate: a client's weight must be in [0, 1], got " +
                                   std::to_string(weight) + ": a larger one would scale its update past the "
                                   "clip norm the noise is calibrated to");
        }
        const WorkerRules& rules = invocation.rules;
        if (rules.dp_only() && !(bound <= rules.dp_max_clip_norm)) {
            throw PermissionDeniedError("dp_accumulate: a clip norm of " + std::to_string(bound) +
                                        " is above this aggregator's dp_max_clip_norm " +
                                        std::to_string(rules.dp_max_clip_norm));
        }
        WeightedSum<M>& sum = sum_in<M>(invocation, 0);
        if (rules.dp_only() && sum.holds_update_of(invocation.contributors[1])) {
            throw PermissionDeniedError("dp_accumulate: this sum holds an update of this data owner already; one "
                                        "per data owner, as the noise is calibrated to one");
        }
        const M& update = static_cast<RemoteValue<M>&>(*invocation.objects[1]).value;
        auto checked = sum.check(update); // layout, NaN and infinities first
        if (const double norm = privacy::l2_norm(update); !(norm <= bound)) {
            throw AggregationError("dp_accumulate: the update's L2 norm " + std::to_string(norm) +
                                   " exceeds the clip norm " + std::to_string(bound) +
                                   " that the noise is calibrated to");
        }
        sum.add(std::move(checked), weight, invocation.contributors[1]);
        return nullptr;
    }
};

/// The Aggregate global (object 1) + (sum (object 0) + noise) / denominator;
/// arguments: required contributions (u64), stddev, denominator (f64), the
/// noise's seed (u64).
template <class M>
struct DpReleaseComputation {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.dp_release(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<WeightedSum<M>>(), &value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader arguments(invocation.arguments, "dp_release");
        const auto required =
            std::max(static_cast<std::size_t>(arguments.read<std::uint64_t>()), invocation.rules.min_contributions);
        const auto stddev = arguments.read<double>();
        const auto denominator = arguments.read<double>();
        const auto seed = arguments.read<std::uint64_t>();
        arguments.expect_end();
        const WorkerRules& rules = invocation.rules;
        if (rules.dp_only() && !(stddev >= rules.dp_min_noise_multiplier * rules.dp_max_clip_norm)) {
            throw PermissionDeniedError("dp_release: a noise standard deviation of " + std::to_string(stddev) +
                                        " is below this aggregator's floor dp_min_noise_multiplier * "
                                        "dp_max_clip_norm = " +
                                        std::to_string(rules.dp_min_noise_multiplier * rules.dp_max_clip_norm));
        }
        WeightedSum<M>& sum = sum_in<M>(invocation, 0);
        sum.check_open("dp_release");
        if (invocation.contributors[1] != no_contributor) { // it would be released nearly as it is
            throw PermissionDeniedError("dp_release: the global model is a data owner's contribution; it must be "
                                        "the model owner's");
        }
        const M& global = static_cast<RemoteValue<M>&>(*invocation.objects[1]).value;
        const std::size_t counted = sum.contributions(invocation.rules.min_weight_ratio);
        require_contributions("dp_release", counted, required);
        M total = independent_copy(sum.sum());
        scale_parameters(total, std::ldexp(1.0, sum.scale_exponent())); // exact: a power of two
        Generator generator(noise_seed(seed, invocation, {to_bytes(sum), to_bytes(global), invocation.arguments}));
        const M estimate = privacy::noised_estimate(total, stddev, denominator, generator);
        M next = independent_copy(global);
        auto to = next.parameters();
        const auto from = estimate.parameters();
        for (std::size_t k = 0; k < to.size(); ++k) {
            to[k].value() += from[k].value();
        }
        sum.mark_released();
        return std::make_unique<RemoteValue<Aggregate<M>>>(AggregateAccess::make(std::move(next), counted));
    }
};

/// Adaptive clipping's step: the indicators (objects, 1 if the client's
/// update was within the clip norm) counted, noised, and the clipping state
/// moved on; arguments: required contributions (u64), the clipping state
/// (its Codec), the noise's seed (u64).
struct DpCountComputation {
    static constexpr bool variadic = true;
    static constexpr bool aggregation = true;
    static constexpr bool spends_contributions = true;
    static std::string name() { return "fedpp.dp_count"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<double>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader arguments(invocation.arguments, "dp_count");
        const auto required =
            std::max(static_cast<std::size_t>(arguments.read<std::uint64_t>()), invocation.rules.min_contributions);
        privacy::AdaptiveClipping clipping = Codec<privacy::AdaptiveClipping>::decode(arguments);
        const auto seed = arguments.read<std::uint64_t>();
        arguments.expect_end();
        const std::size_t contributors = counted_contributors(contributor_weights(invocation.contributors, {}), 0);
        require_contributions("dp_count", contributors, required);
        std::size_t unclipped = 0;
        for (RemoteObject* object : invocation.objects) {
            unclipped += static_cast<RemoteValue<double>&>(*object).value == 1.0 ? 1 : 0;
        }
        Bytes counts;
        ByteWriter(counts).write<std::uint64_t>(unclipped);
        Generator generator(noise_seed(seed, invocation, {counts, invocation.arguments}));
        clipping.update(unclipped, invocation.objects.size(), generator);
        return std::make_unique<RemoteValue<Aggregate<privacy::AdaptiveClipping>>>(
            AggregateAccess::make(std::move(clipping), contributors));
    }
};

} // namespace fedpp::detail

namespace fedpp::federated::dp {

/// dp_accumulate (see the file comment); deletes the update there, also
/// when it is rejected (AggregationError, ShapeError say why).
template <class M, Location L>
void accumulate_clipped(Pointer<WeightedSum<M>, L>& sum, Pointer<M, L>&& update, double weight, double bound) {
    fedpp::detail::check_streaming_rules<L>();
    Pointer<M, L> consumed = std::move(update);
    Bytes arguments;
    ByteWriter out(arguments);
    out.write(weight);
    out.write(bound);
    fedpp::detail::execute_on<fedpp::detail::DpAccumulateComputation<M>, void, L>("dp::accumulate_clipped",
                                                                                   arguments, sum, consumed);
}

/// dp_release (see the file comment).
template <class M, Location L>
[[nodiscard]] Pointer<Aggregate<M>, L> release_noised(const Pointer<WeightedSum<M>, L>& sum,
                                                      const Pointer<M, L>& global, double stddev,
                                                      double denominator, std::uint64_t seed) {
    fedpp::detail::check_streaming_rules<L>();
    Bytes arguments;
    ByteWriter out(arguments);
    out.write<std::uint64_t>(min_contributions_v<L>);
    out.write(stddev);
    out.write(denominator);
    out.write<std::uint64_t>(seed);
    return fedpp::detail::execute_on<fedpp::detail::DpReleaseComputation<M>, Aggregate<M>, L>(
        "dp::release_noised", arguments, sum, global);
}

/// dp_count (see the file comment) over the round's indicators.
template <Location L>
[[nodiscard]] Pointer<Aggregate<privacy::AdaptiveClipping>, L>
count_unclipped(std::span<const Pointer<double, L>> indicators, const privacy::AdaptiveClipping& clipping,
                std::uint64_t seed) {
    fedpp::detail::check_streaming_rules<L>();
    if (indicators.empty()) {
        throw AggregationError("dp::count_unclipped: no indicators");
    }
    Bytes arguments;
    ByteWriter out(arguments);
    out.write<std::uint64_t>(min_contributions_v<L>);
    Codec<privacy::AdaptiveClipping>::encode(clipping, out);
    out.write<std::uint64_t>(seed);
    const auto& first = indicators.front();
    fedpp::detail::PointerAccess::require_live(first, "dp::count_unclipped");
    const auto& seam = fedpp::detail::PointerAccess::seam(first);
    std::vector<ObjectRef> inputs;
    for (const auto& indicator : indicators) {
        fedpp::detail::PointerAccess::require_at(indicator, seam, first.worker_id(), "dp::count_unclipped");
        inputs.push_back(ObjectRef{indicator.id(), &fedpp::detail::value_type<double>()});
    }
    const auto& count = fedpp::detail::computation_of<fedpp::detail::DpCountComputation>();
    return fedpp::detail::execute_at<Aggregate<privacy::AdaptiveClipping>, L>(seam, first.worker_id(), count, inputs,
                                                                             arguments);
}

} // namespace fedpp::federated::dp
