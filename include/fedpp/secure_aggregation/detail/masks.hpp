// fedpp secure aggregation, internal: the derivations the client and the
// server must do identically. Every key is HKDF-SHA-256 with the session id
// as salt and a label naming its purpose, plus the ids it belongs to.
#pragma once

#include "fedpp/secure_aggregation/aes_ctr_prng.hpp"
#include "fedpp/secure_aggregation/authenticated_encryption.hpp"
#include "fedpp/secure_aggregation/kdf.hpp"
#include "fedpp/secure_aggregation/key_agreement.hpp"
#include "fedpp/secure_aggregation/shamir.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::detail::secagg {

using fedpp::secagg::ClientId;
using fedpp::secagg::Secret32;
using fedpp::secagg::SessionId;

inline void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
}

inline std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value |= static_cast<std::uint32_t>(bytes[at + i]) << (8 * i);
    }
    return value;
}

/// The HKDF info: a label, then the ids.
inline std::vector<std::uint8_t> label(std::string_view text, std::initializer_list<ClientId> ids) {
    std::vector<std::uint8_t> info(text.begin(), text.end());
    for (const ClientId id : ids) {
        append_u32(info, id);
    }
    return info;
}

/// The seed of the mask between u and v (the same from either side):
/// X25519 of one's masking private key and the other's public key.
inline Secret32 pairwise_mask_seed(const fedpp::secagg::X25519KeyPair& own, const fedpp::secagg::PublicKey& peer,
                                   ClientId u, ClientId v, const SessionId& session) {
    const Secret32 shared = own.agree(peer);
    return fedpp::secagg::derive_key(shared.bytes(), session,
                                     label("fedpp/secagg/v1 pairwise mask", {std::min(u, v), std::max(u, v)}));
}

/// The AES key of a client's self mask, from its seed b_u.
inline Secret32 self_mask_key(const Secret32& seed, ClientId owner, const SessionId& session) {
    return fedpp::secagg::derive_key(seed.bytes(), session, label("fedpp/secagg/v1 self mask", {owner}));
}

/// Client u adds the mask it shares with v if u < v and subtracts it if
/// u > v, so that the two cancel in the sum.
inline void apply_pairwise_mask(std::span<std::uint32_t> words, const Secret32& seed, ClientId self, ClientId peer) {
    fedpp::secagg::AesCtrPrng prng(seed);
    if (self < peer) {
        prng.add_to(words);
    } else {
        prng.subtract_from(words);
    }
}

/// Undoes what apply_pairwise_mask(self, peer) added.
inline void remove_pairwise_mask(std::span<std::uint32_t> words, const Secret32& seed, ClientId self,
                                 ClientId peer) {
    fedpp::secagg::AesCtrPrng prng(seed);
    if (self < peer) {
        prng.subtract_from(words);
    } else {
        prng.add_to(words);
    }
}

/// The two shares one client gives another: of its masking private key
/// and of its self-mask seed.
struct SharePair {
    std::vector<std::uint32_t> masking_key;
    std::vector<std::uint32_t> self_mask_seed;

    SharePair() = default;
    SharePair(std::vector<std::uint32_t> key, std::vector<std::uint32_t> seed)
        : masking_key(std::move(key)), self_mask_seed(std::move(seed)) {}
    SharePair(const SharePair&) = default;
    SharePair(SharePair&&) noexcept = default;
    SharePair& operator=(const SharePair&) = default;
    SharePair& operator=(SharePair&&) noexcept = default;
    /// Shares are secrets too: wiped when dropped.
    ~SharePair() {
        OPENSSL_cleanse(masking_key.data(), masking_key.size() * sizeof(std::uint32_t));
        OPENSSL_cleanse(self_mask_seed.data(), self_mask_seed.size() * sizeof(std::uint32_t));
    }
};

inline constexpr std::size_t share_pieces = fedpp::secagg::ShamirSecretSharing::pieces_for(fedpp::secagg::key_size);
/// sender, recipient, then the two shares, little-endian 32-bit words.
inline constexpr std::size_t share_plaintext_size = 8 + 2 * 4 * share_pieces;
inline constexpr std::size_t sealed_share_size = share_plaintext_size + fedpp::secagg::AesGcm::tag_size;

/// Seals the shares `sender` gives `recipient`, under a key both derive
/// from their encryption key pairs. Each ordered pair seals once per
/// session, so the nonce (sender, recipient) is never reused with a key.
class ShareSealer {
public:
    ShareSealer(const fedpp::secagg::X25519KeyPair& own, const fedpp::secagg::PublicKey& peer, ClientId u,
                ClientId v, const SessionId& session)
        : aead_(fedpp::secagg::derive_key(own.agree(peer).bytes(), session,
                                          label("fedpp/secagg/v1 share encryption", {std::min(u, v), std::max(u, v)}))),
          session_(session) {}

    std::vector<std::uint8_t> seal(ClientId sender, ClientId recipient, const SharePair& shares) const {
        std::vector<std::uint8_t> plaintext;
        plaintext.reserve(share_plaintext_size);
        append_u32(plaintext, sender);
        append_u32(plaintext, recipient);
        for (const auto* values : {&shares.masking_key, &shares.self_mask_seed}) {
            for (const std::uint32_t value : *values) {
                append_u32(plaintext, value);
            }
        }
        auto sealed = aead_.seal(nonce(sender, recipient), associated_data(sender, recipient), plaintext);
        OPENSSL_cleanse(plaintext.data(), plaintext.size());
        return sealed;
    }

    /// The shares, or nothing if the ciphertext was altered, sealed for
    /// someone else, or malformed.
    std::optional<SharePair> open(ClientId sender, ClientId recipient, std::span<const std::uint8_t> sealed) const {
        if (sealed.size() != sealed_share_size) {
            return std::nullopt;
        }
        auto plaintext = aead_.open(nonce(sender, recipient), associated_data(sender, recipient), sealed);
        if (!plaintext || read_u32(*plaintext, 0) != sender || read_u32(*plaintext, 4) != recipient) {
            return std::nullopt;
        }
        SharePair shares;
        for (std::size_t i = 0; i < share_pieces; ++i) {
            shares.masking_key.push_back(read_u32(*plaintext, 8 + 4 * i));
            shares.self_mask_seed.push_back(read_u32(*plaintext, 8 + 4 * (share_pieces + i)));
        }
        OPENSSL_cleanse(plaintext->data(), plaintext->size());
        return shares;
    }

private:
    static fedpp::secagg::AesGcm::Nonce nonce(ClientId sender, ClientId recipient) {
        std::vector<std::uint8_t> bytes;
        append_u32(bytes, sender);
        append_u32(bytes, recipient);
        fedpp::secagg::AesGcm::Nonce n{};
        std::copy(bytes.begin(), bytes.end(), n.begin());
        return n;
    }

    std::vector<std::uint8_t> associated_data(ClientId sender, ClientId recipient) const {
        std::vector<std::uint8_t> data = label("fedpp/secagg/v1 shares", {sender, recipient});
        data.insert(data.end(), session_.begin(), session_.end());
        return data;
    }

    fedpp::secagg::AesGcm aead_;
    SessionId session_;
};

} // namespace fedpp::detail::secagg
