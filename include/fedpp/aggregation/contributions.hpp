// fedpp: counting the data owners an aggregate combines.
//
// A trusted aggregator releases an aggregate only if at least
// `min_contributions` different data owners contributed to it with a
// positive weight (at a served aggregator, with a weight of at least
// party::Policy::min_weight_ratio of the largest one's: WorkerRules). Each object in a worker's store knows the data owner it
// came from (its ContributorId, given by the store when a data owner moved
// it there); values the model owner sent, or that computations made there,
// contribute nothing. So one model averaged with itself, a weight of zero,
// or the model owner's own values next to one data owner's cannot make an
// aggregate of one data owner's values.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/computation.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::detail {

/// A data owner, and the total weight of its values in an aggregate.
struct ContributorWeight {
    ContributorId id = no_contributor;
    double weight = 0;
};

/// The different data owners among `contributors`, each with the total of
/// its values' weights (1 each when `weights` is empty), sorted by id.
std::vector<ContributorWeight> contributor_weights(std::span<const ContributorId> contributors,
                                                   std::span<const double> weights);

/// How many of the (different) data owners `owners` count toward
/// min_contributions: those with a positive weight of at least
/// `min_weight_ratio` of the largest.
std::size_t counted_contributors(std::span<const ContributorWeight> owners, double min_weight_ratio);

/// PermissionDeniedError if the worker releases only differentially
/// private aggregates (WorkerRules::dp_only) and `operation` makes another.
void check_not_dp_only(std::string_view operation, const WorkerRules& rules);

/// PermissionDeniedError, naming `operation` and `which` input, unless
/// `contributor` is a data owner: an aggregate combines data owners'
/// contributions only. Values of the model owner's own beside them would
/// choose what an order statistic (a median, a trimmed mean) releases, or,
/// of a large enough magnitude, cancel every data owner's model but one out
/// of a floating-point sum (+V and -V around them).
void require_contribution(std::string_view operation, ContributorId contributor, std::string_view which);

/// InsufficientContributionsError unless `count` >= `required`.
void require_contributions(std::string_view operation, std::size_t count, std::size_t required);

} // namespace fedpp::detail

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/aggregation/contributions-inl.hpp"
#endif
