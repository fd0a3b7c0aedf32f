// fedpp: the trust rules, each stated once.
//
// Every compile-time privacy rule of fedpp is one of the predicates below;
// the functions that enforce a rule (get, move, run, fedavg, ...) test the
// predicate in a static_assert whose message says what to do instead, and
// tests/static/ checks each predicate for the cases it must accept and
// reject.
#pragma once

#include "fedpp/located/location.hpp"

#include <type_traits>

namespace fedpp {

/// True when values of type T may be read back from an untrusted location
/// with a plain get(): single numbers such as a loss or an example count.
template <class T>
inline constexpr bool is_public_scalar_v = std::is_arithmetic_v<T>;

/// Are two locations the same? Values can only be combined (an operator,
/// one Worker::run, one fedavg) where they all live.
template <class A, class B>
inline constexpr bool same_location_v = Location<A> && Location<B> && std::is_same_v<A, B>;

/// May the model owner read (get()) a value of type T held at location L?
template <class T, class L>
inline constexpr bool may_read_v = TrustedLocation<L> || is_public_scalar_v<T>;

/// May a value of type T held at From move straight to To (never through the
/// model owner)? A data owner's values leave it only for a trusted location.
template <class T, class From, class To>
inline constexpr bool may_move_v =
    TrustedLocation<From> || TrustedLocation<To> || same_location_v<From, To> || is_public_scalar_v<T>;

/// May aggregation (fedavg, coordinate_median, trimmed_mean, accumulate,
/// average_of) run at L?
template <class L>
inline constexpr bool may_aggregate_at_v = TrustedLocation<L>;

} // namespace fedpp
