// Helpers for the secure aggregation tests.
#pragma once

#include <fedpp/secure_aggregation.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fedpp::test {

inline std::vector<std::uint8_t> from_hex(const std::string& hex) {
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

inline secagg::Secret32 secret_from_hex(const std::string& hex) {
    const auto bytes = from_hex(hex);
    return secagg::Secret32(std::span<const std::uint8_t, 32>(bytes.data(), 32));
}

/// Reproducible randomness for client c of run `seed`.
inline secagg::LocalSession::RandomFactory seeded_clients(std::uint64_t seed) {
    return [seed](secagg::ClientId c) {
        return std::make_unique<secagg::SeededRandom>(seed * 1'000'003 + c + 1);
    };
}

/// Pearson's chi-square statistic of the byte values in `bytes` against the
/// uniform distribution on 0..255 (255 degrees of freedom).
inline double chi_square_of_bytes(std::span<const std::uint8_t> bytes) {
    std::vector<double> counts(256, 0);
    for (const auto b : bytes) {
        counts[b] += 1;
    }
    const double expected = static_cast<double>(bytes.size()) / 256;
    double statistic = 0;
    for (const double c : counts) {
        statistic += (c - expected) * (c - expected) / expected;
    }
    return statistic;
}

/// The upper 10^-6 quantile of chi-square with 255 degrees of freedom
/// (Wilson-Hilferty: k (1 - 2/(9k) + z sqrt(2/(9k)))^3 with z = 4.7534, which
/// is accurate to well under 1% here): a uniform source exceeds it once in a
/// million tries.
inline double chi_square_255_threshold() {
    const double k = 255;
    const double z = 4.7534;
    const double a = 2 / (9 * k);
    return k * std::pow(1 - a + z * std::sqrt(a), 3);
}

inline std::span<const std::uint8_t> bytes_of(std::span<const std::uint32_t> words) {
    return {reinterpret_cast<const std::uint8_t*>(words.data()), words.size() * sizeof(std::uint32_t)};
}

} // namespace fedpp::test
