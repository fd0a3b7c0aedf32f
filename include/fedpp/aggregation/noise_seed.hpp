// fedpp: the seed of differential privacy's noise where it is drawn: at an
// aggregator (the noise on a sum, federated/dp_aggregation.hpp) and at a
// data owner (its share of secure aggregation's distributed noise,
// aggregation/secure_steps.hpp's client_mask): the caller's seed, mixed
// with the worker's own secret where it has one (WorkerRules::noise_secret:
// a party's Policy::private_noise) and a digest, keyed by that secret, of
// what the noise is for.
#pragma once

#include "fedpp/base/random.hpp"
#include "fedpp/transport/computation.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>

namespace fedpp::detail {

/// The seed of a DP computation's noise: the caller's, or, at a worker with
/// a secret of its own, that seed mixed with the secret and with a digest,
/// keyed by the secret, of what the noise is for (`content`: the encodings
/// of the inputs and the arguments). The caller can neither recompute the
/// noise nor have the same noise drawn for two different sums (two
/// releases with one seed, one of a sum that is nearly nothing, would
/// otherwise give the noise away), and the same release asked again (a
/// round run again after the model owner restarted, or of the same
/// updates trained again) draws the same noise: nothing new to average.
inline std::uint64_t noise_seed(std::uint64_t seed, const Invocation& invocation,
                                std::initializer_list<std::span<const std::byte>> content) {
    const std::uint64_t secret = invocation.rules.noise_secret;
    if (secret == 0) {
        return seed;
    }
    std::uint64_t digest = mix64(secret);
    for (const std::span<const std::byte> part : content) {
        digest = mix64(digest ^ part.size());
        for (std::size_t i = 0; i < part.size(); i += sizeof(std::uint64_t)) {
            std::uint64_t word = 0;
            std::memcpy(&word, part.data() + i, std::min(sizeof word, part.size() - i));
            digest = mix64(digest ^ word);
        }
    }
    return mix64(mix64(mix64(seed) ^ secret) ^ digest);
}

} // namespace fedpp::detail
