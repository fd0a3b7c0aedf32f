// fedpp: the seeds of a federated run's random streams.
//
// All randomness of round r (which clients take part, each client's batch
// order) derives from (seed, r, stream), so a round can be replayed, and a
// run resumed, from the seed alone, whatever the threads.
#pragma once

#include "fedpp/base/random.hpp"

#include <cstdint>

namespace fedpp::detail {

/// The seed of the generator for (seed, round, stream): selection uses
/// stream 0, client c uses stream c + 1.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t round, std::uint64_t stream) noexcept {
    return mix64(mix64(mix64(seed) ^ round) ^ stream);
}

} // namespace fedpp::detail
