// fedpp: the seeds of a federated run's random streams.
//
// All randomness of round r (which clients take part, each client's batch
// order) derives from (seed, r, stream), so a round can be replayed, and a
// run resumed, from the seed alone, whatever the threads.
#pragma once

#include <cstdint>

namespace fedpp::detail {

/// SplitMix64's finaliser: a well-mixed 64-bit value from any input.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// The seed of the generator for (seed, round, stream): selection uses
/// stream 0, client c uses stream c + 1.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t round, std::uint64_t stream) noexcept {
    return mix64(mix64(mix64(seed) ^ round) ^ stream);
}

} // namespace fedpp::detail
