// fedpp secure aggregation, internal: the server's round states, how each
// accepts a client's message (all or nothing: a message that breaks the
// protocol throws SecureAggregationError(protocol_violation) and changes
// nothing), and how each round closes into the next.
#pragma once

#include "fedpp/secure_aggregation/config.hpp"
#include "fedpp/secure_aggregation/detail/client_rounds.hpp"
#include "fedpp/secure_aggregation/detail/masks.hpp"
#include "fedpp/secure_aggregation/graph.hpp"
#include "fedpp/secure_aggregation/messages.hpp"
#include "fedpp/secure_aggregation/shamir.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail::secagg {

/// Membership, by client id.
using Members = std::vector<bool>;

inline std::size_t count_of(const Members& members) {
    return static_cast<std::size_t>(std::count(members.begin(), members.end(), true));
}

/// What the closed rounds established: U1 (the clients with keys), U2
/// (those whose shares were forwarded), U3 (those whose masked input is in
/// the sum).
struct Roster {
    std::vector<std::optional<sa::AdvertiseKeys>> keys;
    Members u2;
    Members u3;

    [[nodiscard]] bool in_u1(ClientId c) const { return keys[c].has_value(); }
};

struct CollectingKeys {
    std::vector<std::optional<sa::AdvertiseKeys>> keys;
};

struct CollectingShares {
    Roster roster;
    std::vector<std::vector<sa::EncryptedShares>> inbox; // by recipient; peer = sender
    Members responded;
};

struct CollectingInputs {
    Roster roster;
    Members responded;
    std::vector<std::uint32_t> sum;
};

struct CollectingUnmasking {
    Roster roster;
    std::vector<std::uint32_t> sum;
    std::vector<std::vector<sa::ShamirShare>> self_mask_shares;  // by owner
    std::vector<std::vector<sa::ShamirShare>> masking_key_shares; // by owner
    Members responded;
};

inline void require_new(const Members& responded, ClientId from) {
    if (responded[from]) {
        violation("client " + std::to_string(from) + " answered this round twice");
    }
}

inline void require_enough(std::size_t count, const sa::Config& config, const char* stage) {
    if (count < config.minimum_clients()) {
        throw sa::SecureAggregationError(sa::Failure::too_few_clients,
                                         std::to_string(count) + " clients " + stage + ", at least " +
                                             std::to_string(config.minimum_clients()) + " are needed");
    }
}

inline void accept(CollectingKeys& round, ClientId from, const sa::AdvertiseKeys& message) {
    if (round.keys[from]) {
        violation("client " + std::to_string(from) + " advertised keys twice");
    }
    round.keys[from] = message;
}

/// u's neighbours in U1, in order: whom it was asked to share with.
inline std::vector<ClientId> neighbours_in(const sa::NeighbourGraph& graph, ClientId u, const Members& members) {
    std::vector<ClientId> list;
    for (const ClientId v : graph.neighbours(u)) {
        if (members[v]) {
            list.push_back(v);
        }
    }
    return list;
}

inline Members u1_of(const Roster& roster) {
    Members members(roster.keys.size());
    for (std::size_t c = 0; c < members.size(); ++c) {
        members[c] = roster.in_u1(static_cast<ClientId>(c));
    }
    return members;
}

inline void accept(const sa::NeighbourGraph& graph, CollectingShares& round, ClientId from,
                   const sa::ShareKeysResponse& message) {
    require_new(round.responded, from);
    const std::vector<ClientId> expected = neighbours_in(graph, from, u1_of(round.roster));
    bool exact = message.shares.size() == expected.size();
    for (std::size_t i = 0; exact && i < expected.size(); ++i) {
        exact = message.shares[i].peer == expected[i] && message.shares[i].ciphertext.size() == sealed_share_size;
    }
    if (!exact) {
        violation("client " + std::to_string(from) +
                  " did not send one sealed share for each of its neighbours, in order");
    }
    for (const auto& item : message.shares) {
        round.inbox[item.peer].push_back({from, item.ciphertext});
    }
    round.responded[from] = true;
}

inline void accept(const sa::Config& config, CollectingInputs& round, ClientId from, const sa::MaskedInput& message) {
    require_new(round.responded, from);
    if (message.words.size() != config.vector_length) {
        violation("client " + std::to_string(from) + " sent " + std::to_string(message.words.size()) +
                  " masked words, not " + std::to_string(config.vector_length));
    }
    for (std::size_t i = 0; i < round.sum.size(); ++i) {
        round.sum[i] += message.words[i];
    }
    round.responded[from] = true;
}

/// The request sent to `u`: its neighbours in U2, split by U3.
inline sa::UnmaskingRequest unmasking_request(const sa::NeighbourGraph& graph, const Roster& roster, ClientId u) {
    sa::UnmaskingRequest request;
    for (const ClientId v : neighbours_in(graph, u, roster.u2)) {
        (roster.u3[v] ? request.survivors : request.dropped).push_back(v);
    }
    return request;
}

inline void accept(const sa::NeighbourGraph& graph, CollectingUnmasking& round, ClientId from,
                   const sa::UnmaskingResponse& message) {
    require_new(round.responded, from);
    const sa::UnmaskingRequest request = unmasking_request(graph, round.roster, from);
    // The client's own self-mask share first, then the survivors', then the dropped clients' masking keys.
    std::vector<std::pair<ClientId, sa::ShareKind>> expected{{from, sa::ShareKind::self_mask_seed}};
    for (const ClientId v : request.survivors) {
        expected.emplace_back(v, sa::ShareKind::self_mask_seed);
    }
    for (const ClientId v : request.dropped) {
        expected.emplace_back(v, sa::ShareKind::masking_key);
    }
    bool exact = message.shares.size() == expected.size();
    for (std::size_t i = 0; exact && i < expected.size(); ++i) {
        const auto& share = message.shares[i];
        exact = share.owner == expected[i].first && share.kind == expected[i].second &&
                share.values.size() == share_pieces &&
                std::all_of(share.values.begin(), share.values.end(),
                            [](std::uint32_t v) { return v < sa::ShamirSecretSharing::prime; });
    }
    if (!exact) {
        violation("client " + std::to_string(from) + " did not answer the unmasking request it was sent");
    }
    for (const auto& share : message.shares) {
        auto& shares = share.kind == sa::ShareKind::self_mask_seed ? round.self_mask_shares : round.masking_key_shares;
        shares[share.owner].push_back({from + 1, share.values});
    }
    round.responded[from] = true;
}

/// Round 0 closes: each client in U1 learns its neighbours in U1.
inline std::pair<CollectingShares, std::vector<sa::Addressed<sa::ServerMessage>>>
close(const sa::Config& config, const sa::NeighbourGraph& graph, CollectingKeys& round) {
    require_enough(static_cast<std::size_t>(std::count_if(round.keys.begin(), round.keys.end(),
                                                          [](const auto& keys) { return keys.has_value(); })),
                   config, "advertised keys");
    CollectingShares next{Roster{std::move(round.keys), {}, {}}, {}, Members(config.clients)};
    next.inbox.resize(config.clients);
    const Members u1 = u1_of(next.roster);
    std::vector<sa::Addressed<sa::ServerMessage>> out;
    for (ClientId u = 0; u < config.clients; ++u) {
        if (u1[u]) {
            sa::ShareKeysRequest request;
            for (const ClientId v : neighbours_in(graph, u, u1)) {
                request.neighbours.push_back({v, next.roster.keys[v]->encryption_key, next.roster.keys[v]->masking_key});
            }
            out.push_back({u, std::move(request)});
        }
    }
    return {std::move(next), std::move(out)};
}

/// Round 1 closes: U2 is who sent shares; each receives those sealed for it by others in U2.
inline std::pair<CollectingInputs, std::vector<sa::Addressed<sa::ServerMessage>>>
close(const sa::Config& config, CollectingShares& round) {
    require_enough(count_of(round.responded), config, "sent their shares");
    CollectingInputs next{std::move(round.roster), Members(config.clients),
                          std::vector<std::uint32_t>(config.vector_length, 0)};
    next.roster.u2 = round.responded;
    std::vector<sa::Addressed<sa::ServerMessage>> out;
    for (ClientId v = 0; v < config.clients; ++v) {
        if (next.roster.u2[v]) {
            sa::MaskedInputRequest request;
            for (auto& item : round.inbox[v]) {
                if (next.roster.u2[item.peer]) {
                    request.shares.push_back(std::move(item));
                }
            }
            out.push_back({v, std::move(request)});
        }
    }
    return {std::move(next), std::move(out)};
}

/// Round 2 closes: U3 is whose masked input is in the sum; the survivors
/// must be connected, and each (but `excluded`) is told which neighbours dropped.
inline std::pair<CollectingUnmasking, std::vector<sa::Addressed<sa::ServerMessage>>>
close(const sa::Config& config, const sa::NeighbourGraph& graph, CollectingInputs& round, const Members& excluded) {
    require_enough(count_of(round.responded), config, "sent a masked input");
    if (!graph.connected(round.responded)) {
        throw sa::SecureAggregationError(sa::Failure::disconnected_survivors,
                                         "the clients that sent masked inputs are not connected through the graph");
    }
    CollectingUnmasking next{std::move(round.roster), std::move(round.sum), {}, {}, Members(config.clients)};
    next.roster.u3 = round.responded;
    next.self_mask_shares.resize(config.clients);
    next.masking_key_shares.resize(config.clients);
    std::vector<sa::Addressed<sa::ServerMessage>> out;
    for (ClientId u = 0; u < config.clients; ++u) {
        if (next.roster.u3[u] && !excluded[u]) {
            out.push_back({u, unmasking_request(graph, next.roster, u)});
        }
    }
    return {std::move(next), std::move(out)};
}

} // namespace fedpp::detail::secagg
