// fedpp secure aggregation: where secret randomness comes from.
//
// Every secret of the protocol (private keys, the self-mask seed, the
// random coefficients of Shamir polynomials) is drawn from a RandomSource.
// Production code uses OsRandom (OpenSSL's DRBG, seeded by the operating
// system). SeededRandom replays the same bytes for the same seed, so that
// tests and simulations can run the protocol twice with the same
// randomness; it must never be used for a real session.
#pragma once

#include "fedpp/secure_aggregation/aes_ctr_prng.hpp"
#include "fedpp/secure_aggregation/detail/openssl.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <openssl/rand.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fedpp::secagg {

class RandomSource {
public:
    RandomSource() = default;
    RandomSource(const RandomSource&) = delete;
    RandomSource& operator=(const RandomSource&) = delete;
    virtual ~RandomSource() = default;

    /// Fills `out` with random bytes.
    virtual void fill(std::span<std::uint8_t> out) = 0;

    /// 32 random bytes, as a secret.
    Secret32 secret() {
        Secret32 value;
        fill(value.mutable_bytes());
        return value;
    }
};

/// OpenSSL's private DRBG (RAND_priv_bytes): cryptographically secure,
/// seeded by the operating system. Thread-safe.
class OsRandom final : public RandomSource {
public:
    void fill(std::span<std::uint8_t> out) override {
        while (!out.empty()) {
            const std::size_t count = std::min<std::size_t>(out.size(), INT_MAX);
            detail::secagg::check_openssl(RAND_priv_bytes(out.data(), static_cast<int>(count)), "RAND_priv_bytes");
            out = out.subspan(count);
        }
    }
};

/// The AES-256-CTR keystream of a fixed seed: reproducible randomness for
/// tests and simulations only (anyone who knows the seed knows every
/// secret drawn from it).
class SeededRandom final : public RandomSource {
public:
    explicit SeededRandom(const Secret32& seed) : stream_(seed) {}

    /// A seed made of one 64-bit number, for tests: distinct numbers give
    /// independent streams.
    explicit SeededRandom(std::uint64_t seed) : stream_(seed_from(seed)) {}

    void fill(std::span<std::uint8_t> out) override { stream_.generate(out); }

private:
    static Secret32 seed_from(std::uint64_t number) {
        Secret32 seed;
        for (std::size_t i = 0; i < 8; ++i) {
            seed.mutable_bytes()[i] = static_cast<std::uint8_t>(number >> (8 * i));
        }
        return seed;
    }

    AesCtrPrng stream_;
};

} // namespace fedpp::secagg
