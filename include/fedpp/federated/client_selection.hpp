// fedpp: which clients take part in a round.
#pragma once

#include "fedpp/base/random.hpp"
#include "fedpp/federated/seeds.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fedpp::detail {

/// max(at_least, round(fraction * |eligible|)) clients of `eligible` (all
/// of them if there are fewer), drawn for round `round` from `seed` alone (a
/// partial Fisher-Yates shuffle), in increasing order.
/// How many of `pool` clients select_clients selects.
inline std::size_t selection_size(std::size_t pool, double fraction, std::size_t at_least) {
    const auto wanted = static_cast<std::size_t>(std::llround(fraction * double(pool)));
    return std::min(std::max(wanted, at_least), pool);
}

inline std::vector<std::size_t> select_clients(const std::vector<std::size_t>& eligible, double fraction,
                                               std::uint64_t seed, std::size_t round, std::size_t at_least) {
    const std::size_t pool = eligible.size();
    const std::size_t count = selection_size(pool, fraction, at_least);
    Generator generator(derive_seed(seed, round, 0));
    std::vector<std::size_t> chosen = eligible;
    for (std::size_t i = 0; i < count; ++i) {
        std::swap(chosen[i], chosen[i + generator.below(pool - i)]);
    }
    chosen.resize(count);
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

} // namespace fedpp::detail
