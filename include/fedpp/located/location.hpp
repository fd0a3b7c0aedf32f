// fedpp: locations are types.
//
// Where a value lives is part of its type: Pointer<T, L> is a T held at a
// worker of location L. Locations come from fedpp's own templates, one per
// role of federated learning:
//
//     using Bob    = fedpp::DataOwner<"bob">;                   // keeps its data
//     using Secure = fedpp::TrustedAggregator<"secure_worker">; // may aggregate
//     using Summer = fedpp::SumOnlyAggregator<"summer">;        // may sum masked updates
//
// A data owner is untrusted: what it holds cannot be read back (except
// scalars such as a loss) without fedpp::declassify, and leaves it only for a
// trusted aggregator. A trusted aggregator aggregates what data owners send
// it, and releases aggregates only (of at least `min_contributions` data
// owners). A sum-only aggregator is trusted with no single update: data
// owners send it masked updates only (fedpp::Masked, secure aggregation),
// and it releases only their unmasked sum, an aggregate. Two values can
// only be combined where they both live. The rules
// themselves are stated once, as named predicates, in trust.hpp.
//
// Trust is not granted by declaring it: a type of one's own with a `trusted`
// member is not a location. The only trusted locations are
// TrustedAggregator<...> (or types derived from it, which show the opt-in
// in their definition). In a deployment where parties are separate
// processes, each data owner decides for itself who it trusts (by
// certificate), whatever the model owner's types say.
#pragma once

#include "fedpp/base/fixed_string.hpp"

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace fedpp {

namespace detail {
/// The kinds of locations, as the trust rules see them.
enum class LocationKind { data_owner, trusted_aggregator, sum_only_aggregator };

struct LocationBase {};

/// What the two aggregators share: a name, a kind, and the fewest data
/// owners an aggregate they release combines (at least 2).
template <FixedString Name, std::size_t MinContributions, LocationKind Kind>
struct AggregatorLocation : LocationBase {
    static_assert(MinContributions >= 2, "fedpp: an aggregate of fewer than two data owners' values is one data "
                                         "owner's value; an aggregator's MinContributions must be at least 2");
    static constexpr std::string_view name = Name.view();
    static constexpr bool trusted = Kind == LocationKind::trusted_aggregator;
    static constexpr LocationKind kind = Kind;
    static constexpr std::size_t min_contributions = MinContributions;
};
} // namespace detail

/// A party that owns data and trains on it; untrusted.
template <detail::FixedString Name>
struct DataOwner : detail::LocationBase {
    static constexpr std::string_view name = Name.view();
    static constexpr bool trusted = false;
    static constexpr detail::LocationKind kind = detail::LocationKind::data_owner;
};

/// The party trusted to aggregate (PySyft's secure_worker). It releases an
/// aggregate only if at least `MinContributions` different data owners
/// contributed to it with a positive weight (2 by default; at least 2).
template <detail::FixedString Name, std::size_t MinContributions = 2>
struct TrustedAggregator
    : detail::AggregatorLocation<Name, MinContributions, detail::LocationKind::trusted_aggregator> {};

/// An aggregator trusted with sums only (secure aggregation, Bonawitz et al.
/// 2017): it receives masked updates (fedpp::Masked) and protocol messages,
/// never a model, and releases only the unmasked sum of at least
/// `MinContributions` data owners' updates (2 by default; at least 2).
template <detail::FixedString Name, std::size_t MinContributions = 2>
struct SumOnlyAggregator
    : detail::AggregatorLocation<Name, MinContributions, detail::LocationKind::sum_only_aggregator> {};

/// A location type: one of fedpp's location templates (DataOwner,
/// TrustedAggregator, SumOnlyAggregator), or a type derived from one.
template <class L>
concept Location = std::is_empty_v<L> && std::is_base_of_v<detail::LocationBase, L> && requires {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::kind } -> std::convertible_to<detail::LocationKind>;
};

/// A location allowed to aggregate.
template <class L>
concept TrustedLocation = Location<L> && L::kind == detail::LocationKind::trusted_aggregator;

/// A location that sums masked updates and nothing else.
template <class L>
concept SumOnlyLocation = Location<L> && L::kind == detail::LocationKind::sum_only_aggregator;

/// A location that keeps what it holds: a data owner.
template <class L>
concept UntrustedLocation = Location<L> && L::kind == detail::LocationKind::data_owner;

} // namespace fedpp
