// fedpp: locations are types.
//
// Where a value lives is part of its type: Pointer<T, L> is a T held at a
// worker of location L. A location is any (empty) type with a `name` and a
// `trusted` flag; two ready-made kinds cover the federated-learning roles:
//
//     using Bob    = fedpp::DataOwner<"bob">;                   // keeps its data
//     using Secure = fedpp::TrustedAggregator<"secure_worker">; // may average
//
// DataOwner locations are untrusted: what they hold cannot be read back
// (except scalars such as a loss) without fedpp::declassify, and may only
// leave for a trusted location. Only a trusted location may run fedavg.
// Two values can only be combined where they both live. The rules
// themselves are stated once, as named predicates, in trust.hpp.
#pragma once

#include "fedpp/base/fixed_string.hpp"

#include <concepts>
#include <string_view>
#include <type_traits>

namespace fedpp {

/// A location type: `static constexpr std::string_view name` (the default
/// name of its workers) and `static constexpr bool trusted`.
template <class L>
concept Location = std::is_empty_v<L> && requires {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::trusted } -> std::convertible_to<bool>;
};

/// A location allowed to aggregate (fedavg) and to hand values to anyone.
template <class L>
concept TrustedLocation = Location<L> && L::trusted;

/// A location that keeps what it holds: a data owner.
template <class L>
concept UntrustedLocation = Location<L> && !L::trusted;

/// A party that owns data and trains on it; untrusted.
template <detail::FixedString Name>
struct DataOwner {
    static constexpr std::string_view name = Name.view();
    static constexpr bool trusted = false;
};

/// The party trusted to aggregate (PySyft's secure_worker).
template <detail::FixedString Name>
struct TrustedAggregator {
    static constexpr std::string_view name = Name.view();
    static constexpr bool trusted = true;
};

} // namespace fedpp
