// fedpp: the trust rules, each stated once.
//
// Every compile-time privacy rule of fedpp is one of the concepts below;
// the functions that enforce a rule (get, move, copy, run, fedavg, ...) test
// it in a static_assert whose message says what to do instead, and
// tests/static/ checks each for the cases it must accept and reject. They
// are concepts, which a program cannot specialise: no declaration of a
// program's own makes its types public or its locations trusted. (The
// traits is_public_scalar_v and is_aggregate_v report what the concepts
// decide; specialising them changes no rule.)
#pragma once

#include "fedpp/located/aggregate.hpp"
#include "fedpp/located/location.hpp"
#include "fedpp/located/masked.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace fedpp {

/// Single numbers whose byte encoding is exact (bool, integers of up to 64
/// bits, float, double): a loss, an example count. The only values the
/// model owner may read from a data owner without declassify.
template <class T>
concept PublicScalar =
    std::is_same_v<T, bool> || std::is_same_v<T, float> || std::is_same_v<T, double> ||
    (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= sizeof(std::uint64_t) &&
     (std::is_same_v<T, std::make_signed_t<T>> || std::is_same_v<T, std::make_unsigned_t<T>>));

/// fedpp::Aggregate<M> for some M: what only fedpp's aggregations make.
template <class T>
concept AggregateValue = requires { typename T::model_type; } && std::is_same_v<T, Aggregate<typename T::model_type>>;

/// What secure aggregation moves between a data owner and a sum-only
/// aggregator: a masked update (to the aggregator only) or a protocol message.
template <class T>
concept MaskedValue = requires { typename T::model_type; } && std::is_same_v<T, Masked<typename T::model_type>>;
template <class T>
concept SecureAggregationMessage = std::is_same_v<T, ProtocolMessage>;

template <class T>
inline constexpr bool is_public_scalar_v = PublicScalar<T>;

/// Are A and B the same location? Values can only be combined (an operator,
/// one Worker::run, one fedavg) where they all live.
template <class A, class B>
concept SameLocation = Location<A> && Location<B> && std::is_same_v<A, B>;

/// May the model owner read (get()) a value of type T held at location L?
/// Public scalars anywhere; at an aggregator (trusted or sum-only),
/// aggregates too.
template <class T, class L>
concept ReadableAt =
    Location<L> && (PublicScalar<T> || ((TrustedLocation<L> || SumOnlyLocation<L>) && AggregateValue<T>));

/// May a value of type T held at From move straight to To (never through
/// the model owner)? A data owner's values leave it only for a trusted
/// location, or, as masked updates and protocol messages only, for a
/// sum-only aggregator; an aggregator sends on only aggregates (and scalars), and a
/// sum-only one protocol messages to data owners.
template <class T, class From, class To>
concept MovableBetween =
    Location<From> && Location<To> &&
    (PublicScalar<T> ||
     (UntrustedLocation<From> && (TrustedLocation<To> || SameLocation<From, To>) && !MaskedValue<T> &&
      !SecureAggregationMessage<T>) ||
     (UntrustedLocation<From> && SumOnlyLocation<To> && (MaskedValue<T> || SecureAggregationMessage<T>)) ||
     (SumOnlyLocation<From> && UntrustedLocation<To> && SecureAggregationMessage<T>) ||
     ((TrustedLocation<From> || SumOnlyLocation<From>) && AggregateValue<T>));

/// May a value of type T at L be duplicated there (Pointer::copy)? Not a
/// contribution at an aggregator: two copies would count as two.
template <class T, class L>
concept CopyableAt = UntrustedLocation<L> || (Location<L> && (PublicScalar<T> || AggregateValue<T>));

/// May a computation of the model owner's (Worker::run, remote arithmetic)
/// take a value of type T held at L? At a data owner, anything it holds; at
/// an aggregator only what the model owner may read anyway: there,
/// everything else may only be aggregated (or, sum-only, securely summed).
template <class T, class L>
concept ComputableAt = UntrustedLocation<L> || ReadableAt<T, L>;

/// May aggregation (fedavg, coordinate_median, trimmed_mean, accumulate,
/// average_of) run at L?
template <class L>
concept AggregationLocation = TrustedLocation<L>;

/// How many different data owners an aggregate at L must combine.
template <class L>
    requires TrustedLocation<L> || SumOnlyLocation<L>
inline constexpr std::size_t min_contributions_v = L::min_contributions;

} // namespace fedpp
