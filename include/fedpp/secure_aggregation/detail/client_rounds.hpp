// fedpp secure aggregation, internal: the client's round states and the
// transitions between them. Each transition takes the state and the
// server's message and returns the next state and the reply, or throws
// SecureAggregationError(protocol_violation) naming what was wrong; Client
// (client.hpp) turns that into an Abort.
#pragma once

#include "fedpp/secure_aggregation/config.hpp"
#include "fedpp/secure_aggregation/detail/masks.hpp"
#include "fedpp/secure_aggregation/errors.hpp"
#include "fedpp/secure_aggregation/key_agreement.hpp"
#include "fedpp/secure_aggregation/messages.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"
#include "fedpp/secure_aggregation/shamir.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail::secagg {

namespace sa = fedpp::secagg;

[[noreturn]] inline void violation(const std::string& what) {
    throw sa::SecureAggregationError(sa::Failure::protocol_violation, what);
}

/// Round 0 done: the key pairs whose public halves were advertised.
struct ClientKeysAdvertised {
    sa::X25519KeyPair encryption;
    sa::X25519KeyPair masking;
};

/// Round 1 done: the secrets, and what is known of each neighbour.
struct ClientSharesSent {
    sa::X25519KeyPair encryption;
    sa::X25519KeyPair masking;
    Secret32 self_mask_seed;
    SharePair own_shares;
    std::map<ClientId, sa::PeerKeys> neighbours;
};

/// Round 2 done: the shares held of each neighbour that sent some (the
/// neighbours masked with), and its own self-mask share.
struct ClientInputSent {
    std::map<ClientId, SharePair> held;
    std::vector<std::uint32_t> own_self_mask_share;
};

/// The neighbours, sorted and unique, none of them `self` or out of range,
/// no more than the degree, and enough of them to hold t shares.
inline void check_neighbours(const sa::Config& config, ClientId self, const sa::ShareKeysRequest& request) {
    const auto& list = request.neighbours;
    if (list.size() > config.degree) {
        violation("the server sent " + std::to_string(list.size()) + " neighbours; the degree is " +
                  std::to_string(config.degree));
    }
    if (list.size() + 1 < config.threshold) {
        violation("only " + std::to_string(list.size()) + " neighbours remain; " +
                  std::to_string(config.threshold) + " holders are needed");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].id >= config.clients || list[i].id == self || (i > 0 && list[i].id <= list[i - 1].id)) {
            violation("the neighbour list is not sorted, repeats a client, or names an unknown client or this one");
        }
    }
}

inline std::pair<ClientSharesSent, sa::ShareKeysResponse> share_keys(const sa::Config& config, ClientId self,
                                                                      ClientKeysAdvertised& keys,
                                                                      const sa::ShareKeysRequest& request,
                                                                      sa::RandomSource& random) {
    check_neighbours(config, self, request);
    ClientSharesSent next{std::move(keys.encryption), std::move(keys.masking), random.secret(), {}, {}};
    std::vector<std::uint32_t> xs{self + 1};
    for (const auto& peer : request.neighbours) {
        xs.push_back(peer.id + 1);
        next.neighbours.emplace(peer.id, peer);
    }
    auto key_shares = sa::ShamirSecretSharing::share(next.masking.private_key().bytes(), config.threshold, xs, random);
    auto seed_shares = sa::ShamirSecretSharing::share(next.self_mask_seed.bytes(), config.threshold, xs, random);
    next.own_shares = {std::move(key_shares[0].values), std::move(seed_shares[0].values)};
    sa::ShareKeysResponse response;
    for (std::size_t i = 0; i < request.neighbours.size(); ++i) {
        const auto& peer = request.neighbours[i];
        const ShareSealer sealer(next.encryption, peer.encryption_key, self, peer.id, config.session_id);
        const SharePair pair{std::move(key_shares[i + 1].values), std::move(seed_shares[i + 1].values)};
        response.shares.push_back({peer.id, sealer.seal(self, peer.id, pair)});
    }
    return {std::move(next), std::move(response)};
}

/// Opens the shares each neighbour sent; every one must come from a
/// neighbour, once, and open; at least t - 1 of them.
inline std::map<ClientId, SharePair> open_shares(const sa::Config& config, ClientId self,
                                                 const ClientSharesSent& state,
                                                 const sa::MaskedInputRequest& request) {
    std::map<ClientId, SharePair> held;
    for (const auto& item : request.shares) {
        const auto peer = state.neighbours.find(item.peer);
        if (peer == state.neighbours.end() || held.count(item.peer) != 0) {
            violation("shares from client " + std::to_string(item.peer) +
                      ", which is not a neighbour or sent shares twice");
        }
        const ShareSealer sealer(state.encryption, peer->second.encryption_key, self, item.peer, config.session_id);
        auto shares = sealer.open(item.peer, self, item.ciphertext);
        if (!shares) {
            violation("the shares from client " + std::to_string(item.peer) + " do not decrypt");
        }
        held.emplace(item.peer, std::move(*shares));
    }
    if (held.size() + 1 < config.threshold) {
        violation("shares from only " + std::to_string(held.size()) + " neighbours; " +
                  std::to_string(config.threshold) + " holders are needed");
    }
    return held;
}

inline std::pair<ClientInputSent, sa::MaskedInput> mask_input(const sa::Config& config, ClientId self,
                                                              ClientSharesSent& state,
                                                              const sa::MaskedInputRequest& request,
                                                              std::vector<std::uint32_t> input) {
    ClientInputSent next{open_shares(config, self, state, request), std::move(state.own_shares.self_mask_seed)};
    sa::MaskedInput masked{std::move(input)};
    sa::AesCtrPrng(self_mask_key(state.self_mask_seed, self, config.session_id)).add_to(masked.words);
    for (const auto& [peer, shares] : next.held) {
        const Secret32 seed =
            pairwise_mask_seed(state.masking, state.neighbours.at(peer).masking_key, self, peer, config.session_id);
        apply_pairwise_mask(masked.words, seed, self, peer);
    }
    return {std::move(next), std::move(masked)};
}

/// The double-masking rule, then the request's consistency: each neighbour
/// masked with is named exactly once, as dropped or as a survivor.
inline void check_unmasking_request(const sa::Config& config, ClientId self, const ClientInputSent& state,
                                    const sa::UnmaskingRequest& request) {
    const std::set<ClientId> dropped(request.dropped.begin(), request.dropped.end());
    const std::set<ClientId> survivors(request.survivors.begin(), request.survivors.end());
    for (const ClientId peer : dropped) {
        if (survivors.count(peer) != 0) {
            violation("refusing to reveal both the self-mask share and the masking-key share of client " +
                      std::to_string(peer));
        }
    }
    if (dropped.count(self) != 0) {
        violation("refusing to reveal this client's own masking key: it has not dropped out");
    }
    const bool exact = dropped.size() == request.dropped.size() && survivors.size() == request.survivors.size() &&
                       dropped.size() + survivors.size() == state.held.size() &&
                       std::all_of(dropped.begin(), dropped.end(), [&](ClientId c) { return state.held.count(c); }) &&
                       std::all_of(survivors.begin(), survivors.end(), [&](ClientId c) { return state.held.count(c); });
    if (!exact) {
        violation("the unmasking request does not name each neighbour masked with exactly once");
    }
    if (survivors.size() + 1 < config.threshold) {
        violation("only " + std::to_string(survivors.size() + 1) + " of this client's holders survived; " +
                  std::to_string(config.threshold) + " are needed");
    }
}

inline sa::UnmaskingResponse unmask(const sa::Config& config, ClientId self, const ClientInputSent& state,
                                    const sa::UnmaskingRequest& request) {
    check_unmasking_request(config, self, state, request);
    sa::UnmaskingResponse response;
    response.shares.push_back({self, sa::ShareKind::self_mask_seed, state.own_self_mask_share});
    for (const ClientId peer : request.survivors) {
        response.shares.push_back({peer, sa::ShareKind::self_mask_seed, state.held.at(peer).self_mask_seed});
    }
    for (const ClientId peer : request.dropped) {
        response.shares.push_back({peer, sa::ShareKind::masking_key, state.held.at(peer).masking_key});
    }
    return response;
}

} // namespace fedpp::detail::secagg
