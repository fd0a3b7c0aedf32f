// fedpp secure aggregation: Shamir secret sharing over the prime field
// Z_p, p = 2^31 + 11 (the smallest prime above 2^31, as in Google's
// fcp/secagg), so that a product of two field elements fits in 64 bits.
//
// A secret of L bytes is read as a little-endian bit string and cut into
// ceil(8L / 31) pieces of 31 bits; each piece is below p and is shared with
// its own random polynomial of degree threshold - 1. A share is the value
// of every polynomial at the share's x-coordinate (a client's id + 1, never
// 0: the secret is the value at 0). Any `threshold` shares rebuild the
// secret by Lagrange interpolation at 0; fewer say nothing about it: for
// every candidate secret there is exactly one polynomial through them. One
// share more, where there is one, is checked to lie on the same polynomial,
// so one corrupted share among those t + 1 is refused rather than
// rebuilding a wrong secret (two colluding holders could still agree on
// another polynomial; shares after them are not read).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace fedpp::secagg {

/// One share: the x-coordinate, and one field element per 31-bit piece of
/// the secret.
struct ShamirShare {
    std::uint32_t x = 0;
    std::vector<std::uint32_t> values;

    friend bool operator==(const ShamirShare&, const ShamirShare&) = default;
};

/// The Lagrange coefficients last used by reconstruct(): rebuilding many
/// secrets from shares at the same x-coordinates (the same holders
/// answered) computes them once; those at 0 (`coefficients`), and those at
/// the x of the share it checks them against (`check_x`, if any).
struct LagrangeCache {
    std::vector<std::uint32_t> xs;
    std::vector<std::uint32_t> coefficients;
    std::uint32_t check_x = 0;
    std::vector<std::uint32_t> check_coefficients;
};

class ShamirSecretSharing {
public:
    static constexpr std::uint64_t prime = 2147483659ULL; // 2^31 + 11
    static constexpr std::size_t bits_per_piece = 31;

    /// Field elements per share of a secret of `secret_bytes` bytes.
    static constexpr std::size_t pieces_for(std::size_t secret_bytes) noexcept {
        return (8 * secret_bytes + bits_per_piece - 1) / bits_per_piece;
    }

    /// One share for each x in `xs` (distinct, 1 <= x < p), any `threshold`
    /// of which rebuild `secret`; 1 <= threshold <= xs.size().
    static std::vector<ShamirShare> share(std::span<const std::uint8_t> secret, std::size_t threshold,
                                          std::span<const std::uint32_t> xs, RandomSource& random) {
        check_coordinates(xs, "share");
        if (threshold < 1 || threshold > xs.size()) {
            throw ArgumentError("ShamirSecretSharing::share: threshold " + std::to_string(threshold) +
                                " with " + std::to_string(xs.size()) + " shares");
        }
        const std::vector<std::uint32_t> pieces = split(secret);
        std::vector<ShamirShare> shares(xs.size());
        for (std::size_t s = 0; s < xs.size(); ++s) {
            shares[s].x = xs[s];
            shares[s].values.resize(pieces.size());
        }
        std::vector<std::uint32_t> coefficients(threshold);
        FieldSampler sampler(random);
        for (std::size_t p = 0; p < pieces.size(); ++p) {
            coefficients[0] = pieces[p];
            for (std::size_t c = 1; c < threshold; ++c) {
                coefficients[c] = sampler.next();
            }
            for (std::size_t s = 0; s < xs.size(); ++s) {
                shares[s].values[p] = evaluate(coefficients, xs[s]);
            }
        }
        OPENSSL_cleanse(coefficients.data(), coefficients.size() * sizeof(std::uint32_t));
        return shares;
    }

    /// The secret of `secret_bytes` bytes that the first `threshold` of
    /// `shares` rebuild, checked against the next share if there is one.
    /// ArgumentError if there are fewer, if their x-coordinates repeat or
    /// are out of range, if a value is not a field element, if the next
    /// share does not lie on the polynomial of the first `threshold` (one
    /// of them corrupted, or of another secret), or if the result is not a
    /// secret of that length. With exactly `threshold` shares a corrupted
    /// one is found only when the interpolated pieces do not fit in 31 bits.
    static std::vector<std::uint8_t> reconstruct(std::span<const ShamirShare> shares, std::size_t threshold,
                                                 std::size_t secret_bytes, LagrangeCache* cache = nullptr) {
        if (threshold < 1 || shares.size() < threshold) {
            throw ArgumentError("ShamirSecretSharing::reconstruct: " + std::to_string(shares.size()) +
                                " shares, " + std::to_string(threshold) + " needed");
        }
        const auto used = shares.first(threshold);
        std::vector<std::uint32_t> xs;
        for (const auto& share : used) {
            xs.push_back(share.x);
        }
        const bool checked = shares.size() > threshold;
        if (checked) {
            xs.push_back(shares[threshold].x);
        }
        check_coordinates(xs, "reconstruct");
        const std::size_t piece_count = pieces_for(secret_bytes);
        for (const auto& share : shares.first(threshold + (checked ? 1 : 0))) {
            if (share.values.size() != piece_count ||
                std::any_of(share.values.begin(), share.values.end(), [](std::uint32_t v) { return v >= prime; })) {
                throw ArgumentError("ShamirSecretSharing::reconstruct: the share at x = " + std::to_string(share.x) +
                                    " is not a share of a " + std::to_string(secret_bytes) + "-byte secret");
            }
        }
        if (checked) {
            xs.pop_back();
        }
        LagrangeCache local;
        LagrangeCache& lagrange_cache = cache != nullptr ? *cache : local;
        if (lagrange_cache.xs != xs) {
            lagrange_cache.coefficients = lagrange_at(xs, 0);
            lagrange_cache.check_coefficients.clear();
            lagrange_cache.xs = xs;
        }
        if (checked) {
            const ShamirShare& next = shares[threshold];
            if (lagrange_cache.check_coefficients.empty() || lagrange_cache.check_x != next.x) {
                lagrange_cache.check_coefficients = lagrange_at(xs, next.x);
                lagrange_cache.check_x = next.x;
            }
            for (std::size_t p = 0; p < piece_count; ++p) {
                if (interpolate(lagrange_cache.check_coefficients, used, p) != next.values[p]) {
                    throw ArgumentError("ShamirSecretSharing::reconstruct: the shares are inconsistent (the share "
                                        "at x = " + std::to_string(next.x) + " does not lie on the polynomial of "
                                        "the " + std::to_string(threshold) + " before it)");
                }
            }
        }
        std::vector<std::uint32_t> pieces(piece_count, 0);
        for (std::size_t p = 0; p < piece_count; ++p) {
            pieces[p] = interpolate(lagrange_cache.coefficients, used, p);
        }
        return join(pieces, secret_bytes);
    }

    /// reconstruct() of a 32-byte secret.
    static Secret32 reconstruct_secret(std::span<const ShamirShare> shares, std::size_t threshold,
                                       LagrangeCache* cache = nullptr) {
        std::vector<std::uint8_t> bytes = reconstruct(shares, threshold, key_size, cache);
        Secret32 secret(std::span<const std::uint8_t, key_size>(bytes.data(), key_size));
        OPENSSL_cleanse(bytes.data(), bytes.size());
        return secret;
    }

private:
    /// Uniform field elements: 32-bit draws at or above p are rejected
    /// (about half of them), so the rest are uniform on [0, p).
    class FieldSampler {
    public:
        explicit FieldSampler(RandomSource& random) : random_(random) {}
        ~FieldSampler() { OPENSSL_cleanse(buffer_.data(), sizeof buffer_); }
        FieldSampler(const FieldSampler&) = delete;
        FieldSampler& operator=(const FieldSampler&) = delete;

        std::uint32_t next() {
            for (;;) {
                if (used_ == buffer_.size()) {
                    random_.fill(std::span(reinterpret_cast<std::uint8_t*>(buffer_.data()), sizeof buffer_));
                    used_ = 0;
                }
                const std::uint32_t draw = buffer_[used_++];
                if (draw < prime) {
                    return draw;
                }
            }
        }

    private:
        RandomSource& random_;
        std::array<std::uint32_t, 64> buffer_{};
        std::size_t used_ = 64;
    };

    static std::uint64_t multiply(std::uint64_t a, std::uint64_t b) noexcept { return a * b % prime; }

    static std::uint64_t power(std::uint64_t base, std::uint64_t exponent) noexcept {
        std::uint64_t result = 1;
        for (; exponent != 0; exponent >>= 1) {
            if ((exponent & 1) != 0) {
                result = multiply(result, base);
            }
            base = multiply(base, base);
        }
        return result;
    }

    /// The inverse of a nonzero element (Fermat: a^(p-2)).
    static std::uint64_t inverse(std::uint64_t a) noexcept { return power(a, prime - 2); }

    static std::uint32_t evaluate(std::span<const std::uint32_t> coefficients, std::uint32_t x) noexcept {
        std::uint64_t value = 0;
        for (std::size_t c = coefficients.size(); c-- > 0;) {
            value = (multiply(value, x) + coefficients[c]) % prime;
        }
        return static_cast<std::uint32_t>(value);
    }

    /// l_i(x) = prod_{j != i} (x_j - x) / (x_j - x_i), for x not among xs.
    static std::vector<std::uint32_t> lagrange_at(std::span<const std::uint32_t> xs, std::uint32_t x) {
        std::vector<std::uint32_t> coefficients(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i) {
            std::uint64_t numerator = 1;
            std::uint64_t denominator = 1;
            for (std::size_t j = 0; j < xs.size(); ++j) {
                if (j != i) {
                    numerator = multiply(numerator, (xs[j] + prime - x) % prime);
                    denominator = multiply(denominator, (xs[j] + prime - xs[i]) % prime);
                }
            }
            coefficients[i] = static_cast<std::uint32_t>(multiply(numerator, inverse(denominator)));
        }
        return coefficients;
    }

    /// Piece `p` of the polynomial through `shares` at the point whose
    /// Lagrange coefficients are `lagrange`.
    static std::uint32_t interpolate(std::span<const std::uint32_t> lagrange, std::span<const ShamirShare> shares,
                                     std::size_t p) noexcept {
        std::uint64_t sum = 0;
        for (std::size_t s = 0; s < shares.size(); ++s) {
            sum = (sum + static_cast<std::uint64_t>(lagrange[s]) * shares[s].values[p]) % prime;
        }
        return static_cast<std::uint32_t>(sum);
    }

    static void check_coordinates(std::span<const std::uint32_t> xs, const char* operation) {
        std::unordered_set<std::uint32_t> seen;
        for (const std::uint32_t x : xs) {
            if (x == 0 || x >= prime || !seen.insert(x).second) {
                throw ArgumentError(std::string("ShamirSecretSharing::") + operation + ": the x-coordinate " +
                                    std::to_string(x) + " is 0, repeated, or not below p");
            }
        }
    }

    static std::vector<std::uint32_t> split(std::span<const std::uint8_t> secret) {
        std::vector<std::uint32_t> pieces(pieces_for(secret.size()), 0);
        for (std::size_t bit = 0; bit < 8 * secret.size(); ++bit) {
            const std::uint32_t value = (secret[bit / 8] >> (bit % 8)) & 1u;
            pieces[bit / bits_per_piece] |= value << (bit % bits_per_piece);
        }
        return pieces;
    }

    static std::vector<std::uint8_t> join(std::vector<std::uint32_t>& pieces, std::size_t secret_bytes) {
        if (pieces.empty()) {
            return {};
        }
        const std::size_t bits = 8 * secret_bytes;
        const std::size_t last_bits = bits - bits_per_piece * (pieces.size() - 1);
        const bool fits = std::all_of(pieces.begin(), pieces.end() - 1,
                                      [](std::uint32_t piece) { return piece < (1u << bits_per_piece); }) &&
                          pieces.back() < (std::uint64_t{1} << last_bits);
        if (!fits) {
            OPENSSL_cleanse(pieces.data(), pieces.size() * sizeof(std::uint32_t));
            throw ArgumentError("ShamirSecretSharing::reconstruct: the shares are inconsistent (they do not "
                                "rebuild a " + std::to_string(secret_bytes) + "-byte secret)");
        }
        std::vector<std::uint8_t> secret(secret_bytes, 0);
        for (std::size_t bit = 0; bit < bits; ++bit) {
            const std::uint32_t value = (pieces[bit / bits_per_piece] >> (bit % bits_per_piece)) & 1u;
            secret[bit / 8] = static_cast<std::uint8_t>(secret[bit / 8] | (value << (bit % 8)));
        }
        OPENSSL_cleanse(pieces.data(), pieces.size() * sizeof(std::uint32_t));
        return secret;
    }
};

} // namespace fedpp::secagg
