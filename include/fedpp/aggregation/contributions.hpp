// fedpp: counting the data owners an aggregate combines.
//
// A trusted aggregator releases an aggregate only if at least
// `min_contributions` different data owners contributed to it with a
// positive weight. Each object in a worker's store knows the data owner it
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

/// The different data owners among `contributors` whose weight is positive
/// (every weight is 1 when `weights` is empty), sorted.
std::vector<ContributorId> contributors_with_weight(std::span<const ContributorId> contributors,
                                                    std::span<const double> weights);

/// InsufficientContributionsError unless `count` >= `required`.
void require_contributions(std::string_view operation, std::size_t count, std::size_t required);

} // namespace fedpp::detail

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/aggregation/contributions-inl.hpp"
#endif
