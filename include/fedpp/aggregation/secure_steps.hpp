// fedpp: the computations of a SecureRound (secure_round.hpp), fedpp's own,
// each one step of a party's side of the protocol (secure_parties.hpp):
//
//   at a data owner          client_join, client_start, client_handle, client_mask
//   at the sum-only server   server_create, server_receive, server_receive_masked,
//                            server_close, server_outbox, server_result, server_in_sum
//
// Every step takes the party's state (an object at that party) and at most
// one message, and returns at most one message or, at the end, the
// Aggregate. What a client sends is an object it made; what the server
// receives is an object a participant moved to it, whose sender the
// transport recorded (Invocation::contributors).
#pragma once

#include "fedpp/aggregation/noise_seed.hpp"
#include "fedpp/aggregation/secure_parties.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/privacy/clipping.hpp"
#include "fedpp/privacy/gaussian_noise.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fedpp::detail::secagg {

/// Objects of `invocation`, by type.
template <class T>
T& object(const Invocation& invocation, std::size_t k) {
    return static_cast<RemoteValue<T>&>(*invocation.objects[k]).value;
}

template <class T>
std::unique_ptr<RemoteObject> made(T value) {
    return std::make_unique<RemoteValue<T>>(std::move(value));
}

/// What a party checks of the session it is asked to join, whoever asks:
/// vectors no larger than the largest value it takes (its policy's
/// max_value_bytes: the server sums into one, a client masks one); secrets
/// from the caller's seed only where its policy allows them; a sparse graph
/// of at least NeighbourGraph::minimum_degree, whose sum is released only
/// with a strict majority of all participants in it. PermissionDeniedError
/// otherwise.
inline void check_session(const Settings& settings, const Invocation& invocation, const char* party) {
    const sa::Config& config = settings.config;
    config.validate(); // before anything is allocated for it
    if (config.vector_length > invocation.context.max_value_bytes / sizeof(std::uint32_t)) {
        throw PermissionDeniedError(std::string("secure aggregation: ") + party + " refuses a session of " +
                                    std::to_string(config.vector_length) + " words a vector, more than its largest "
                                    "value (its policy's max_value_bytes, " +
                                    std::to_string(invocation.context.max_value_bytes) + " bytes)");
    }
    if (settings.seed && !invocation.context.seeded_secrets_allowed) {
        throw PermissionDeniedError(std::string("secure aggregation: ") + party +
                                    " refuses a session whose secrets come from the caller's seed (its policy's "
                                    "allow_seeded_secrets)");
    }
    if (config.clients >= 2 && config.degree < config.clients - 1 &&
        (config.degree < sa::NeighbourGraph::minimum_degree(config.clients) ||
         config.minimum_clients() < sa::majority_threshold(config.clients - 1))) {
        throw PermissionDeniedError(std::string("secure aggregation: ") + party + " refuses a sparse graph of degree " +
                                    std::to_string(config.degree) + " for " + std::to_string(config.clients) +
                                    " clients, or one whose sum may be released with fewer than a majority of them");
    }
}

/// A client joins: its state, made at its data owner. Arguments: the
/// session's Settings, the client's id (u32).
struct ClientJoin {
    static std::string name() { return "fedpp.secagg.client_join"; }
    static std::vector<const ValueType*> inputs() { return {}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "client_join");
        const Settings settings = Settings::read(in);
        const auto id = in.read<std::uint32_t>();
        in.expect_end();
        check_session(settings, invocation, "a data owner");
        return made(ClientParty(settings, id));
    }
};

/// Round 0 at a client: its public keys.
struct ClientStart {
    static std::string name() { return "fedpp.secagg.client_start"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ClientParty>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        auto& party = object<ClientParty>(invocation, 0);
        const auto lock = party.lock();
        return made(message_of(party.client().start()));
    }
};

/// A server message at a client: its reply (empty: none). The request for
/// the masked input is kept until client_mask gives the input.
struct ClientHandle {
    static std::string name() { return "fedpp.secagg.client_handle"; }
    static std::vector<const ValueType*> inputs() {
        return {&value_type<ClientParty>(), &value_type<ProtocolMessage>()};
    }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        auto& party = object<ClientParty>(invocation, 0);
        const auto lock = party.lock();
        const auto& message = object<ProtocolMessage>(invocation, 1);
        if (message.empty()) {
            return made(SecureAggregationAccess::message({}));
        }
        auto request = decode<sa::ServerMessage>(message, "a message from the sum-only aggregator");
        if (std::holds_alternative<sa::MaskedInputRequest>(request) && !party.client().finished()) {
            party.pending = std::move(request);
            return made(SecureAggregationAccess::message({}));
        }
        const auto reply = party.client().handle(request);
        return made(reply ? message_of(*reply) : SecureAggregationAccess::message({}));
    }
};

/// Round 2 at a client: its update to M (object 1), with noise N(0,
/// stddev^2) per value added if stddev > 0 (a share of distributed DP's
/// noise, drawn from the seed given mixed with this worker's own secret,
/// noise_seed: the caller cannot recompute it), weighted, encoded and
/// masked; clipped first if the worker's rules set a floor (see
/// check_mask_share, which gives its errors; with a floor, an update that
/// is not finite is refused too, by clip_l2's ArgumentError). Arguments:
/// weight, stddev (f64), the noise's seed (u64).
/// SecureAggregationError if the server has not asked for it (the client
/// dropped out, or the session failed).
template <class M>
struct ClientMask {
    static std::string name() { return "fedpp.secagg.client_mask(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ClientParty>(), &value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "client_mask");
        const auto weight = in.read<double>();
        const auto stddev = in.read<double>();
        const auto seed = in.read<std::uint64_t>();
        in.expect_end();
        if (!(stddev >= 0 && std::isfinite(stddev))) {
            throw ArgumentError("SecureRound::mask: the noise's standard deviation must be finite and >= 0, got " +
                                std::to_string(stddev));
        }
        auto& party = object<ClientParty>(invocation, 0);
        const auto lock = party.lock();
        if (!party.pending) {
            throw sa::SecureAggregationError(sa::Failure::protocol_violation,
                                             "the sum-only aggregator has not asked this client for its masked "
                                             "update (it dropped out, or the session failed)");
        }
        const M& update = object<M>(invocation, 1);
        check_mask_share(update, stddev, party, invocation.rules);
        const bool clip = invocation.rules.mask_floor();
        std::vector<double> values;
        if (stddev > 0 || clip) {
            M noised = update.copy();
            if (clip) {
                privacy::clip_l2(noised, invocation.rules.mask_max_clip_norm); // (NaN, infinity: ArgumentError)
            }
            if (stddev > 0) {
                Generator noise(noise_seed(seed, invocation, {to_bytes(noised), invocation.arguments}));
                privacy::add_gaussian_noise(noised, stddev, noise);
            }
            values = values_of(noised);
        } else {
            values = values_of(update);
        }
        auto words = party.encoding().encode(std::span<const double>(values), weight);
        if (words[0] == 0) {
            throw AggregationError("SecureRound::mask: the weight " + std::to_string(weight) +
                                   " is below the encoding's resolution (max_weight / 2^fraction_bits): it would "
                                   "count as a contribution of weight 0");
        }
        party.client().set_input(std::move(words));
        const auto reply = party.client().handle(*std::exchange(party.pending, std::nullopt));
        const auto* masked = reply ? std::get_if<sa::MaskedInput>(&*reply) : nullptr;
        if (masked == nullptr) {
            throw sa::SecureAggregationError(sa::Failure::protocol_violation,
                                             "the client aborted: " + party.client().abort_reason());
        }
        return made(SecureAggregationAccess::masked<M>(masked->words, party.client().config().session_id,
                                                       party.client().id()));
    }
};

/// The server's state, made at the sum-only aggregator. Arguments: the
/// Settings, then each client's name (the name the transport knows its
/// contributions by: its worker's, or its certificate's).
struct ServerCreate {
    static std::string name() { return "fedpp.secagg.server_create"; }
    static std::vector<const ValueType*> inputs() { return {}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "server_create");
        const Settings settings = Settings::read(in);
        check_session(settings, invocation, "the aggregator");
        std::vector<std::string> participants(settings.config.clients);
        for (auto& participant : participants) {
            participant = in.read_string();
        }
        in.expect_end();
        return made(ServerParty(settings, std::move(participants)));
    }
};

/// A client's message (object 1), from whoever moved it here (it takes a
/// data owner's contribution: an aggregation, to a party's policy).
struct ServerReceive {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.secagg.server_receive"; }
    static std::vector<const ValueType*> inputs() {
        return {&value_type<ServerParty>(), &value_type<ProtocolMessage>()};
    }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        const sa::ClientId from = party.client_of(invocation.contributors[1], invocation.context.contributor_names);
        const auto& message = object<ProtocolMessage>(invocation, 1);
        if (message.empty()) {
            return nullptr;
        }
        sa::ClientMessage decoded;
        try {
            decoded = decode<sa::ClientMessage>(message, "a message from a client");
        } catch (const SerializationError& e) {
            decoded = sa::Abort{std::string("its message did not decode: ") + e.what()};
        }
        party.server().receive(from, decoded);
        return nullptr;
    }
};

/// The clients' masked updates (objects 1, 2, ...), each from the client
/// that moved it here, for this session: all checked before any is taken,
/// so a refused call changes nothing.
template <class M>
struct ServerReceiveMasked {
    static constexpr bool aggregation = true;
    static constexpr bool variadic = true;
    static std::string name() { return "fedpp.secagg.server_receive_masked(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ServerParty>(), &value_type<Masked<M>>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        std::vector<sa::ClientId> from;
        for (std::size_t k = 1; k < invocation.objects.size(); ++k) {
            const auto& masked = object<Masked<M>>(invocation, k);
            const sa::ClientId client = party.client_of(invocation.contributors[k], invocation.context.contributor_names);
            if (masked.session() != party.server().config().session_id || masked.client() != client) {
                throw AggregationError("secure aggregation: a masked update of another session, or of another "
                                       "client, is not taken into this sum");
            }
            if (std::find(from.begin(), from.end(), client) != from.end()) {
                throw AggregationError("secure aggregation: two masked updates of client " + std::to_string(client));
            }
            from.push_back(client);
        }
        for (std::size_t k = 1; k < invocation.objects.size(); ++k) {
            const auto words = object<Masked<M>>(invocation, k).words();
            party.server().receive(from[k - 1], sa::MaskedInput{{words.begin(), words.end()}});
        }
        return nullptr;
    }
};

/// The server closes its round: whoever has not answered has dropped out.
struct ServerClose {
    static std::string name() { return "fedpp.secagg.server_close"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ServerParty>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        party.close_round();
        return nullptr;
    }
};

/// The server's message of the round for one client (argument: its id,
/// u32), empty if none.
struct ServerOutbox {
    static std::string name() { return "fedpp.secagg.server_outbox"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ServerParty>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "server_outbox");
        const auto client = in.read<std::uint32_t>();
        in.expect_end();
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        const auto message = party.take(client);
        return made(message ? message_of(*message) : SecureAggregationAccess::message({}));
    }
};

/// Whether client c (argument: u32) is in the unmasked sum: public, as the
/// list of survivors the server sends the clients.
struct ServerInSum {
    static std::string name() { return "fedpp.secagg.server_in_sum"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ServerParty>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "server_in_sum");
        const auto client = in.read<std::uint32_t>();
        in.expect_end();
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        const auto& contributors = party.server().result().contributors;
        return made(std::find(contributors.begin(), contributors.end(), client) != contributors.end());
    }
};

/// The unmasked weighted mean, in a model of the layout of object 1: an
/// Aggregate of the clients in the sum. Argument: the contributions the
/// location requires (u64). SecureAggregationError if the session failed.
template <class M>
struct ServerResult {
    static constexpr bool aggregation = true;
    static std::string name() { return "fedpp.secagg.server_result(" + type_name_of<M>() + ")"; }
    static std::vector<const ValueType*> inputs() { return {&value_type<ServerParty>(), &value_type<M>()}; }
    static std::unique_ptr<RemoteObject> invoke(const Invocation& invocation) {
        ByteReader in(invocation.arguments, "server_result");
        const auto required = std::max(static_cast<std::size_t>(in.read<std::uint64_t>()), invocation.rules.min_contributions);
        in.expect_end();
        if (invocation.contributors[1] != no_contributor) { // (it is copied into what is released)
            throw PermissionDeniedError("server_result: the model giving the layout is a data owner's "
                                        "contribution; it must be the model owner's");
        }
        auto& party = object<ServerParty>(invocation, 0);
        const auto lock = party.lock();
        const sa::AggregateSum& sum = party.server().result();
        require_contributions("secure aggregation", sum.contributors.size(), required);
        const sa::WeightedMean mean = party.encoding().decode(sum.words, sum.contributors.size());
        M model = object<M>(invocation, 1).copy();
        load_values(model, mean.values);
        return made(AggregateAccess::make(std::move(model), sum.contributors.size()));
    }
};

} // namespace fedpp::detail::secagg
