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

FEDPP_INLINE std::vector<ContributorWeight> contributor_weights(std::span<const ContributorId> contributors,
                                                                std::span<const double> weights) {
    std::vector<ContributorWeight> owners;
    for (std::size_t i = 0; i < contributors.size(); ++i) {
        if (contributors[i] != no_contributor) {
            owners.push_back({contributors[i], weights.empty() ? 1.0 : weights[i]});
        }
    }
    std::sort(owners.begin(), owners.end(),
              [](const ContributorWeight& a, const ContributorWeight& b) { return a.id < b.id; });
    std::vector<ContributorWeight> merged;
    for (const ContributorWeight& owner : owners) {
        if (!merged.empty() && merged.back().id == owner.id) {
            merged.back().weight += owner.weight;
        } else {
            merged.push_back(owner);
        }
    }
    return merged;
}

FEDPP_INLINE std::size_t counted_contributors(std::span<const ContributorWeight> owners, double min_weight_ratio) {
    double largest = 0;
    for (const ContributorWeight& owner : owners) {
        largest = std::max(largest, owner.weight);
    }
    const double least = min_weight_ratio > 0 ? min_weight_ratio * largest : 0; // (largest may be infinite)
    return static_cast<std::size_t>(std::count_if(owners.begin(), owners.end(), [&](const ContributorWeight& owner) {
        return owner.weight > 0 && owner.weight >= least;
    }));
}

FEDPP_INLINE void check_not_dp_only(std::string_view operation, const WorkerRules& rules) {
    if (rules.dp_only()) {
        throw PermissionDeniedError(std::string(operation) +
                                    ": this aggregator releases only differentially private aggregates "
                                    "(dp_accumulate, dp_release)");
    }
}

FEDPP_INLINE void require_contribution(std::string_view operation, ContributorId contributor,
                                       std::string_view which) {
    if (contributor == no_contributor) {
        throw PermissionDeniedError(std::string(operation) + ": " + std::string(which) +
                                    " is not a data owner's contribution; an aggregate combines only those (a "
                                    "value of the model owner's own could cancel or choose what it releases)");
    }
}

FEDPP_INLINE void require_contributions(std::string_view operation, std::size_t count, std::size_t required) {
    if (count < required) {
        throw InsufficientContributionsError(
            std::string(operation) + ": " + std::to_string(count) + " data owner" + (count == 1 ? "" : "s") +
            " contributed with a positive weight; an aggregate released by this aggregator must combine at "
            "least " +
            std::to_string(required) +
            " (values the model owner sent, or that were computed there, do not count; a value counts once; a "
            "served aggregator counts no weight below its min_weight_ratio of the largest)");
    }
}

} // namespace fedpp::detail
