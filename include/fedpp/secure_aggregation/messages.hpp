// fedpp secure aggregation: the messages of the protocol.
//
// Round 0, advertise keys:  client -> server  AdvertiseKeys
// Round 1, share keys:      server -> client  ShareKeysRequest
//                           client -> server  ShareKeysResponse
// Round 2, masked input:    server -> client  MaskedInputRequest
//                           client -> server  MaskedInput
// Round 3, unmasking:       server -> client  UnmaskingRequest
//                           client -> server  UnmaskingResponse
// Either side may send Abort at any time.
//
// No message names its sender: the transport authenticates who sent it
// (mutual TLS) and hands the server the sender's id. Every message has a
// byte encoding (message_codecs.hpp), and the receiving state machine
// validates everything in it against what it expects.
#pragma once

#include "fedpp/secure_aggregation/types.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace fedpp::secagg {

/// Round 0: a client's two fresh public keys.
struct AdvertiseKeys {
    /// Agrees the keys that encrypt the shares exchanged with each neighbour.
    PublicKey encryption_key{};
    /// Agrees the seeds of the pairwise masks.
    PublicKey masking_key{};

    friend bool operator==(const AdvertiseKeys&, const AdvertiseKeys&) = default;
};

/// A neighbour that advertised its keys.
struct PeerKeys {
    ClientId id = 0;
    PublicKey encryption_key{};
    PublicKey masking_key{};

    friend bool operator==(const PeerKeys&, const PeerKeys&) = default;
};

/// Round 1, to one client: its neighbours that advertised keys.
struct ShareKeysRequest {
    std::vector<PeerKeys> neighbours;

    friend bool operator==(const ShareKeysRequest&, const ShareKeysRequest&) = default;
};

/// Shares sealed for one client by another. In a ShareKeysResponse `peer`
/// is the recipient; in a MaskedInputRequest, the sender.
struct EncryptedShares {
    ClientId peer = 0;
    std::vector<std::uint8_t> ciphertext;

    friend bool operator==(const EncryptedShares&, const EncryptedShares&) = default;
};

/// Round 1, from a client: its shares for each neighbour, encrypted (the
/// server forwards them).
struct ShareKeysResponse {
    std::vector<EncryptedShares> shares;

    friend bool operator==(const ShareKeysResponse&, const ShareKeysResponse&) = default;
};

/// Round 2, to one client: the shares its neighbours sealed for it.
struct MaskedInputRequest {
    std::vector<EncryptedShares> shares;

    friend bool operator==(const MaskedInputRequest&, const MaskedInputRequest&) = default;
};

/// Round 2, from a client: its input plus its masks, modulo 2^32.
struct MaskedInput {
    std::vector<std::uint32_t> words;

    friend bool operator==(const MaskedInput&, const MaskedInput&) = default;
};

/// Round 3, to one client: which of its neighbours (those it masked with)
/// sent a masked input and which did not.
struct UnmaskingRequest {
    std::vector<ClientId> dropped;
    std::vector<ClientId> survivors;

    friend bool operator==(const UnmaskingRequest&, const UnmaskingRequest&) = default;
};

enum class ShareKind : std::uint8_t {
    /// A share of the seed of a surviving client's self mask.
    self_mask_seed = 0,
    /// A share of a dropped client's masking (X25519) private key.
    masking_key = 1,
};

/// One share a client holds of a peer's secret.
struct RevealedShare {
    ClientId owner = 0;
    ShareKind kind = ShareKind::self_mask_seed;
    std::vector<std::uint32_t> values;

    friend bool operator==(const RevealedShare&, const RevealedShare&) = default;
};

/// Round 3, from a client: for each neighbour, exactly one kind of share,
/// and its own self-mask share.
struct UnmaskingResponse {
    std::vector<RevealedShare> shares;

    friend bool operator==(const UnmaskingResponse&, const UnmaskingResponse&) = default;
};

/// Either side gives up; `reason` is for logs.
struct Abort {
    std::string reason;

    friend bool operator==(const Abort&, const Abort&) = default;
};

using ClientMessage = std::variant<AdvertiseKeys, ShareKeysResponse, MaskedInput, UnmaskingResponse, Abort>;
using ServerMessage = std::variant<ShareKeysRequest, MaskedInputRequest, UnmaskingRequest, Abort>;

/// A message and the client it is for.
template <class Message>
struct Addressed {
    ClientId to = 0;
    Message message;
};

} // namespace fedpp::secagg
