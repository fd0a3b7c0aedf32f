// fedpp secure aggregation: X25519 key agreement (RFC 7748) from OpenSSL.
//
// Each client makes two key pairs per session: one to agree on the keys that
// encrypt the Shamir shares it exchanges with its neighbours, one to agree
// on the seeds of its pairwise masks. The raw X25519 output is never used
// as a key directly: it goes through HKDF with the session id and a label.
#pragma once

#include "fedpp/secure_aggregation/detail/openssl.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <cstddef>
#include <string>
#include <utility>

namespace fedpp::secagg {

class X25519KeyPair {
public:
    /// The key pair of a given private key (any 32 bytes: X25519 clamps
    /// them). Tests use fixed keys; the protocol uses generate().
    explicit X25519KeyPair(const Secret32& private_key)
        : private_(private_key),
          key_(detail::secagg::make_handle<detail::secagg::PkeyHandle>(
              EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), key_size),
              "X25519 private key")) {
        std::size_t length = public_.size();
        detail::secagg::check_openssl(EVP_PKEY_get_raw_public_key(key_.get(), public_.data(), &length),
                                      "X25519 public key");
    }

    /// A fresh key pair, its private key drawn from `random`.
    static X25519KeyPair generate(RandomSource& random) { return X25519KeyPair(random.secret()); }

    [[nodiscard]] const PublicKey& public_key() const noexcept { return public_; }
    [[nodiscard]] const Secret32& private_key() const noexcept { return private_; }

    /// The shared secret X25519(private key, peer). CryptoError if the peer's
    /// key is a point of small order (the result would be all zeros).
    [[nodiscard]] Secret32 agree(const PublicKey& peer) const {
        using namespace detail::secagg;
        auto peer_key = make_handle<PkeyHandle>(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()), "X25519 peer key");
        auto context =
            make_handle<PkeyContextHandle>(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr), "X25519 context");
        check_openssl(EVP_PKEY_derive_init(context.get()), "X25519 derive");
        check_openssl(EVP_PKEY_derive_set_peer(context.get(), peer_key.get()), "X25519 peer");
        Secret32 shared;
        std::size_t length = key_size;
        check_openssl(EVP_PKEY_derive(context.get(), shared.mutable_bytes().data(), &length), "X25519 agreement");
        if (length != key_size) {
            throw CryptoError("X25519 agreement returned " + std::to_string(length) + " bytes");
        }
        return shared;
    }

private:
    Secret32 private_;
    PublicKey public_{};
    detail::secagg::PkeyHandle key_;
};

/// The public key of a private key.
inline PublicKey x25519_public_key(const Secret32& private_key) { return X25519KeyPair(private_key).public_key(); }

} // namespace fedpp::secagg
