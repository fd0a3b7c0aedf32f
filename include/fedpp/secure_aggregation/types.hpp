// fedpp secure aggregation: the small value types every part of the
// protocol shares (client ids, public keys, session ids, secrets).
#pragma once

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::secagg {

/// A client's index in the session, 0 .. clients - 1. Which party sent a
/// message is told by the transport (which authenticates it), not by the
/// message itself.
using ClientId = std::uint32_t;

/// The size of an X25519 key, a seed and a session id, in bytes.
inline constexpr std::size_t key_size = 32;

/// An X25519 public key (RFC 7748 encoding).
using PublicKey = std::array<std::uint8_t, key_size>;

/// Names one run of the protocol: fresh for each aggregation, known to the
/// server and every client before it starts, and bound into every key
/// derivation and every encrypted share, so nothing from one session can be
/// replayed in another.
using SessionId = std::array<std::uint8_t, key_size>;

/// 32 secret bytes (a private key, a seed, a derived key), overwritten with
/// zeros when destroyed. Compared in constant time.
class Secret32 {
public:
    Secret32() noexcept { bytes_.fill(0); }
    explicit Secret32(std::span<const std::uint8_t, key_size> bytes) noexcept {
        std::copy(bytes.begin(), bytes.end(), bytes_.begin());
    }
    Secret32(const Secret32&) = default;
    Secret32& operator=(const Secret32&) = default;
    ~Secret32() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

    [[nodiscard]] std::span<const std::uint8_t, key_size> bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::span<std::uint8_t, key_size> mutable_bytes() noexcept { return bytes_; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }

    friend bool operator==(const Secret32& a, const Secret32& b) noexcept {
        return CRYPTO_memcmp(a.bytes_.data(), b.bytes_.data(), key_size) == 0;
    }

private:
    std::array<std::uint8_t, key_size> bytes_;
};

} // namespace fedpp::secagg
