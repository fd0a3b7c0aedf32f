// fedpp secure aggregation: fixed-point encoding of a weighted update into
// 32-bit words, so that masked words can be summed modulo 2^32 and the sum
// decoded into the weighted mean.
//
// A client with weight w (0 < w <= max_weight, e.g. its example count)
// sends, with w' = w / max_weight in (0, 1] and s = 2^fraction_bits:
//
//     word 0:      round(w' * s)                      (its weight)
//     word 1 + j:  round(w' * clip(x_j) * s)  mod 2^32 (its weighted value)
//
// where clip(x) = min(max(x, -c), c), c = clipping_range. The server
// divides the unmasked sums: mean_j = N_j / D. Weighted FedAvg is therefore
// preserved: the weights are masked along with the values, and the
// division happens after unmasking.
//
// No wrap-around. |word 1 + j| <= Q = round(c * s), so a sum of n of them
// lies in [-n Q, n Q], read back exactly from its two's complement when
// n Q <= 2^31 - 1; and D <= n s <= 2^32 - 1. max_clients() is the largest n
// for which both hold (1023 with the defaults c = 8, s = 2^18: the range
// [-8, 8] in 2^22 steps, as Flower's SecAgg+). The protocol's sum is then
// exactly the sum of the encoded (quantised) updates.
//
// Rounding bound. With A = sum_i w'_i clip(x_ij) s and B = sum_i w'_i s (so
// that A / B is the real-valued weighted mean of the clipped values), each
// rounding is off by at most r = 1/2 + (c + 1) s 2^-51 (the last term
// covers the double arithmetic before rounding), so |N - A| <= n r,
// |D - B| <= n r, and since |A / B| <= c:
//
//     |N / D - A / B| <= n (1 + c) r / D + (c + 1) 2^-52
//
// which decode() returns as error_bound. With equal weights (D = n s) it is
// about (1 + c) / (2 s): 1.7e-5 with the defaults.
#pragma once

#include "fedpp/base/errors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fedpp::secagg {

struct FixedPointConfig {
    /// c: values are clipped to [-c, c] before they are encoded.
    double clipping_range = 8.0;
    /// f: values are encoded in steps of 2^-f.
    int fraction_bits = 18;
    /// The largest weight a client may have.
    double max_weight = 1.0;
};

/// A decoded sum.
struct WeightedMean {
    /// The weighted mean of the contributors' clipped values.
    std::vector<double> values;
    /// Their total weight, sum_i w_i (within max_weight * n r / s).
    double total_weight = 0;
    /// D: the sum of the weight words.
    std::uint64_t weight_units = 0;
    /// |values[j] - real-valued weighted mean of the clipped x_ij| <= this.
    double error_bound = 0;
};

class FixedPointEncoding {
public:
    explicit FixedPointEncoding(FixedPointConfig config = {}) : config_(config) {
        if (!(config.clipping_range > 0) || !std::isfinite(config.clipping_range) || config.fraction_bits < 0 ||
            config.fraction_bits > 30 || !(config.max_weight > 0) || !std::isfinite(config.max_weight)) {
            throw ArgumentError("FixedPointEncoding: the clipping range and the largest weight must be positive and "
                                "finite, and the fraction bits between 0 and 30");
        }
        scale_ = std::ldexp(1.0, config.fraction_bits);
        max_magnitude_ = std::llround(config.clipping_range * scale_);
        if (max_magnitude_ < 1 || max_magnitude_ > 0x7FFFFFFF) {
            throw ArgumentError("FixedPointEncoding: clipping range * 2^fraction_bits = " +
                                std::to_string(config.clipping_range * scale_) + " is not in [1, 2^31 - 1]");
        }
    }

    [[nodiscard]] const FixedPointConfig& config() const noexcept { return config_; }
    [[nodiscard]] double scale() const noexcept { return scale_; }

    /// Words per encoded update of `values` values: the weight, then the values.
    static constexpr std::size_t words_for(std::size_t values) noexcept { return values + 1; }

    /// The most clients whose encoded updates can be summed without wrapping.
    [[nodiscard]] std::size_t max_clients() const noexcept {
        const auto by_values = std::uint64_t{0x7FFFFFFF} / static_cast<std::uint64_t>(max_magnitude_);
        const auto by_weight = std::uint64_t{0xFFFFFFFF} / static_cast<std::uint64_t>(scale_);
        return static_cast<std::size_t>(std::min(by_values, by_weight));
    }

    /// ArgumentError unless max_clients() >= clients.
    void check_clients(std::size_t clients) const {
        if (clients > max_clients()) {
            throw ArgumentError("FixedPointEncoding: the sum of " + std::to_string(clients) +
                                " updates could wrap around 2^32; at most " + std::to_string(max_clients()) +
                                " clients with this clipping range and precision (lower fraction_bits)");
        }
    }

    /// The encoding of `values` with `weight` into `out` (words_for(values.size())
    /// words). AggregationError for a non-finite value or a weight outside
    /// (0, max_weight].
    template <class T>
    void encode_into(std::span<const T> values, double weight, std::span<std::uint32_t> out) const {
        if (out.size() != words_for(values.size())) {
            throw ShapeError("FixedPointEncoding::encode: " + std::to_string(out.size()) + " words for " +
                             std::to_string(values.size()) + " values");
        }
        if (!(weight > 0) || !(weight <= config_.max_weight)) {
            throw AggregationError("FixedPointEncoding::encode: the weight " + std::to_string(weight) +
                                   " is not in (0, " + std::to_string(config_.max_weight) + "]");
        }
        const double relative = weight / config_.max_weight;
        out[0] = static_cast<std::uint32_t>(std::llround(relative * scale_));
        const double c = config_.clipping_range;
        for (std::size_t j = 0; j < values.size(); ++j) {
            const double x = static_cast<double>(values[j]);
            if (!std::isfinite(x)) {
                throw AggregationError("FixedPointEncoding::encode: value " + std::to_string(j) +
                                       " is NaN or infinite");
            }
            const auto q = static_cast<std::int32_t>(std::llround(relative * std::clamp(x, -c, c) * scale_));
            out[j + 1] = std::bit_cast<std::uint32_t>(q);
        }
    }

    template <class T>
    [[nodiscard]] std::vector<std::uint32_t> encode(std::span<const T> values, double weight) const {
        std::vector<std::uint32_t> words(words_for(values.size()));
        encode_into(values, weight, std::span<std::uint32_t>(words));
        return words;
    }

    /// The weighted mean from the sum (mod 2^32) of `contributors` encoded
    /// updates. AggregationError if their total weight is 0 words.
    [[nodiscard]] WeightedMean decode(std::span<const std::uint32_t> sum, std::size_t contributors) const {
        if (sum.empty()) {
            throw ShapeError("FixedPointEncoding::decode: an empty sum (no weight word)");
        }
        check_clients(contributors);
        WeightedMean mean;
        mean.weight_units = sum[0];
        if (mean.weight_units == 0) {
            throw AggregationError("FixedPointEncoding::decode: the total weight is 0");
        }
        const auto d = static_cast<double>(mean.weight_units);
        mean.values.resize(sum.size() - 1);
        for (std::size_t j = 0; j + 1 < sum.size(); ++j) {
            mean.values[j] = static_cast<double>(std::bit_cast<std::int32_t>(sum[j + 1])) / d;
        }
        mean.total_weight = d / scale_ * config_.max_weight;
        const double c = config_.clipping_range;
        const double r = 0.5 + (c + 1) * std::ldexp(scale_, -51);
        mean.error_bound = static_cast<double>(contributors) * (1 + c) * r / d + (c + 1) * std::ldexp(1.0, -52);
        return mean;
    }

private:
    FixedPointConfig config_;
    double scale_ = 1;
    long long max_magnitude_ = 1;
};

} // namespace fedpp::secagg
