// fedpp secure aggregation, internal: the server's last step. From the
// shares of the unmasking round it rebuilds the self-mask seed of every
// client whose input is in the sum (U3) and the masking key of every client
// that sent shares but no input (U2 \ U3), then removes from the sum the
// self masks and the pairwise masks that no longer cancel. Every secret is
// rebuilt and checked before any mask is removed, so a failure leaves the
// sum masked: a masking key against the public key its owner advertised, a
// self-mask seed (which has no public key) against one share beyond the t
// it is rebuilt from, where more than t arrived: one wrong share among
// those t + 1 is refused (two colluding holders could still shift it).
#pragma once

#include "fedpp/secure_aggregation/detail/masks.hpp"
#include "fedpp/secure_aggregation/detail/server_rounds.hpp"
#include "fedpp/secure_aggregation/errors.hpp"
#include "fedpp/secure_aggregation/graph.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::secagg {

/// The unmasked sum, modulo 2^32, of the inputs of `contributors`.
struct AggregateSum {
    std::vector<std::uint32_t> words;
    std::vector<ClientId> contributors;
};

} // namespace fedpp::secagg

namespace fedpp::detail::secagg {

/// A secret of `owner` from the shares given (the t of the smallest x, and
/// with `check_next` the next one checked against them), or too_few_shares
/// / inconsistent_shares.
inline Secret32 rebuild(std::vector<sa::ShamirShare>& shares, const sa::Config& config, ClientId owner,
                        const char* what, bool check_next, sa::LagrangeCache& cache) {
    if (shares.size() < config.threshold) {
        throw sa::SecureAggregationError(sa::Failure::too_few_shares,
                                         std::to_string(shares.size()) + " shares of the " + what + " of client " +
                                             std::to_string(owner) + " arrived, " +
                                             std::to_string(config.threshold) + " are needed");
    }
    std::sort(shares.begin(), shares.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
    try {
        const auto used = std::span(shares).first(check_next ? shares.size() : config.threshold);
        return sa::ShamirSecretSharing::reconstruct_secret(used, config.threshold, &cache);
    } catch (const ArgumentError& e) {
        throw sa::SecureAggregationError(sa::Failure::inconsistent_shares,
                                         std::string("the ") + what + " of client " + std::to_string(owner) + ": " +
                                             e.what());
    }
}

struct RebuiltSecrets {
    std::vector<std::pair<ClientId, Secret32>> self_mask_seeds; // of U3
    std::vector<std::pair<ClientId, Secret32>> masking_keys;    // of U2 \ U3
};

inline RebuiltSecrets rebuild_secrets(const sa::Config& config, CollectingUnmasking& round) {
    RebuiltSecrets secrets;
    sa::LagrangeCache cache; // with the complete graph, the same t holders answer for everyone
    const Roster& roster = round.roster;
    for (ClientId c = 0; c < config.clients; ++c) {
        if (roster.u3[c]) {
            secrets.self_mask_seeds.emplace_back(
                c, rebuild(round.self_mask_shares[c], config, c, "self-mask seed", true, cache));
        } else if (roster.u2[c]) {
            // (checked against its public key below: a wrong share after the t read changes nothing)
            Secret32 key = rebuild(round.masking_key_shares[c], config, c, "masking key", false, cache);
            if (sa::x25519_public_key(key) != roster.keys[c]->masking_key) {
                throw sa::SecureAggregationError(sa::Failure::inconsistent_shares,
                                                 "the masking key rebuilt for client " + std::to_string(c) +
                                                     " does not match the public key it advertised");
            }
            secrets.masking_keys.emplace_back(c, std::move(key));
        }
    }
    return secrets;
}

/// The sum of the inputs of U3.
inline sa::AggregateSum unmask_sum(const sa::Config& config, const sa::NeighbourGraph& graph,
                                   CollectingUnmasking& round) {
    const RebuiltSecrets secrets = rebuild_secrets(config, round);
    std::vector<std::uint32_t> sum = std::move(round.sum);
    for (const auto& [owner, seed] : secrets.self_mask_seeds) {
        sa::AesCtrPrng(self_mask_key(seed, owner, config.session_id)).subtract_from(sum);
    }
    for (const auto& [dropped, key] : secrets.masking_keys) {
        const sa::X25519KeyPair pair(key);
        for (const ClientId survivor : graph.neighbours(dropped)) {
            if (round.roster.u3[survivor]) {
                const Secret32 seed = pairwise_mask_seed(pair, round.roster.keys[survivor]->masking_key, dropped,
                                                         survivor, config.session_id);
                remove_pairwise_mask(sum, seed, survivor, dropped);
            }
        }
    }
    sa::AggregateSum result{std::move(sum), {}};
    for (ClientId c = 0; c < config.clients; ++c) {
        if (round.roster.u3[c]) {
            result.contributors.push_back(c);
        }
    }
    return result;
}

} // namespace fedpp::detail::secagg
