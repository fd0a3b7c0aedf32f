// fedpp: the definitions of contributions.hpp (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/aggregation/contributions.hpp"
#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::detail {

FEDPP_INLINE std::vector<ContributorId> contributors_with_weight(std::span<const ContributorId> contributors,
                                                                 std::span<const double> weights) {
    std::vector<ContributorId> found;
    for (std::size_t i = 0; i < contributors.size(); ++i) {
        if (contributors[i] != no_contributor && (weights.empty() || weights[i] > 0)) {
            found.push_back(contributors[i]);
        }
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

FEDPP_INLINE void require_contributions(std::string_view operation, std::size_t count, std::size_t required) {
    if (count < required) {
        throw InsufficientContributionsError(
            std::string(operation) + ": " + std::to_string(count) + " data owner" + (count == 1 ? "" : "s") +
            " contributed with a positive weight; an aggregate released by this aggregator must combine at "
            "least " +
            std::to_string(required) +
            " (values the model owner sent, or that were computed there, do not count; a value counts once)");
    }
}

} // namespace fedpp::detail
