// fedpp: adaptive clipping (Andrew, Thakkar, McMahan and Ramaswamy 2021,
// "Differentially Private Learning with Adaptive Clipping"): instead of a
// clip norm fixed in advance, one that follows a target quantile of the
// clients' update norms, learned privately as the rounds go.
//
//     privacy::AdaptiveClipping clipping(z, expected_clients);   // C0 0.1, quantile 0.5, rate 0.2
//     // each round, with C = clipping.norm():
//     //   client i: clip its update to C; b_i = clipping.unclipped(its norm before clipping)
//     //   aggregator: sum the clipped updates, add N(0, clipping.sum_stddev()^2) per value
//     clipping.update(number of b_i that are true, clients in the round, generator);   // C for the next round
//
// The update: b = (sum_i (b_i - 1/2) + N(0, sigma_b^2)) / m + 1/2, clamped to
// [0, 1], is the noised fraction of unclipped updates (m: the expected
// number of clients per round, a fixed denominator); then
// C <- C exp(-eta (b - gamma)), a geometric step towards the clip norm that
// leaves the fraction gamma of updates unclipped. Centring the indicators
// at 1/2 halves the count's sensitivity (one client moves the sum by 1/2).
//
// The privacy split (the paper's theorem 1): the count and the noised sum
// are two Gaussian mechanisms on the same clients, together equivalent to
// one with noise multiplier z where z^-2 = z_sum^-2 + (2 sigma_b)^-2. Given
// the z the accountant is told, the sum therefore gets
//   z_sum = (z^-2 - (2 sigma_b)^-2)^(-1/2)   (sum_noise_multiplier()),
// slightly more than z; this needs sigma_b > z / 2. The default
// sigma_b = m / 20 is the paper's recommendation (and TFF's default).
// With z = 0 (no privacy) the count is exact unless sigma_b is given.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/io/codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>

namespace fedpp::privacy {

struct AdaptiveClippingConfig {
    double initial_norm = 0.1;          ///< C_0
    double target_quantile = 0.5;       ///< gamma: the fraction of updates to leave unclipped
    double learning_rate = 0.2;         ///< eta, of the geometric update
    std::optional<double> count_stddev; ///< sigma_b; default m / 20 if z > 0, else 0
};

/// z_sum = (z^-2 - (2 sigma_b)^-2)^(-1/2): the noise multiplier the sum
/// needs so that sum and count together have noise multiplier z (0 for
/// z = 0). ArgumentError unless z >= 0 is finite and sigma_b > z / 2.
[[nodiscard]] inline double adaptive_sum_noise_multiplier(double z, double count_stddev) {
    if (!(z >= 0 && std::isfinite(z))) {
        throw ArgumentError("privacy::adaptive_sum_noise_multiplier: the noise multiplier must be finite and "
                            ">= 0, got " + std::to_string(z));
    }
    if (z == 0) {
        return 0;
    }
    if (!(2 * count_stddev > z)) {
        throw ArgumentError("privacy::adaptive_sum_noise_multiplier: the count's standard deviation " +
                            std::to_string(count_stddev) + " must exceed z / 2 = " + std::to_string(z / 2) +
                            " (raise count_stddev, which is m / 20 by default for m expected clients per "
                            "round; or select more clients per round; or lower z)");
    }
    const double count_part = 1 / (4 * count_stddev * count_stddev);
    return 1 / std::sqrt(1 / (z * z) - count_part);
}

class AdaptiveClipping {
public:
    /// z: the noise multiplier of the whole round, as the accountant is
    /// told (>= 0); expected_clients: m, the expected number of clients per
    /// round (> 0). ArgumentError for a value out of range (see the config).
    AdaptiveClipping(double noise_multiplier, double expected_clients, AdaptiveClippingConfig config = {})
        : z_(noise_multiplier), expected_clients_(expected_clients), config_(config),
          count_stddev_(config.count_stddev.value_or(noise_multiplier > 0 ? expected_clients / 20 : 0)),
          norm_(config.initial_norm) {
        validate();
        sum_z_ = adaptive_sum_noise_multiplier(z_, count_stddev_);
    }

    /// C: the clip norm of the current round.
    [[nodiscard]] double norm() const noexcept { return norm_; }
    /// Whether an update of norm `update_norm` is within C (b_i).
    [[nodiscard]] bool unclipped(double update_norm) const noexcept { return update_norm <= norm_; }
    /// z_sum * C: the standard deviation of the noise on this round's sum.
    [[nodiscard]] double sum_stddev() const noexcept { return sum_z_ * norm_; }
    [[nodiscard]] double sum_noise_multiplier() const noexcept { return sum_z_; }
    [[nodiscard]] double noise_multiplier() const noexcept { return z_; }
    [[nodiscard]] double count_stddev() const noexcept { return count_stddev_; }
    [[nodiscard]] double expected_clients() const noexcept { return expected_clients_; }
    [[nodiscard]] const AdaptiveClippingConfig& config() const noexcept { return config_; }

    /// Ends a round in which `unclipped_count` of `clients` updates were
    /// within norm(): moves the clip norm (see the file comment) and returns
    /// the noised unclipped fraction b. Draws one normal from `generator`
    /// if sigma_b > 0. ArgumentError if unclipped_count > clients.
    double update(std::size_t unclipped_count, std::size_t clients, Generator& generator) {
        if (unclipped_count > clients) {
            throw ArgumentError("privacy::AdaptiveClipping::update: " + std::to_string(unclipped_count) +
                                " unclipped updates out of " + std::to_string(clients));
        }
        double centred = static_cast<double>(unclipped_count) - 0.5 * static_cast<double>(clients);
        if (count_stddev_ > 0) {
            centred += count_stddev_ * generator.normal();
        }
        const double fraction = std::clamp(centred / expected_clients_ + 0.5, 0.0, 1.0);
        norm_ *= std::exp(-config_.learning_rate * (fraction - config_.target_quantile));
        return fraction;
    }

    friend bool operator==(const AdaptiveClipping& a, const AdaptiveClipping& b) noexcept {
        return a.z_ == b.z_ && a.expected_clients_ == b.expected_clients_ && a.count_stddev_ == b.count_stddev_ &&
               a.norm_ == b.norm_ && a.config_.initial_norm == b.config_.initial_norm &&
               a.config_.target_quantile == b.config_.target_quantile &&
               a.config_.learning_rate == b.config_.learning_rate;
    }

private:
    friend struct fedpp::Codec<AdaptiveClipping>;

    void validate() const {
        const auto fail = [](const std::string& what) {
            throw ArgumentError("privacy::AdaptiveClipping: " + what);
        };
        if (!(expected_clients_ > 0 && std::isfinite(expected_clients_))) {
            fail("the expected number of clients per round must be finite and > 0, got " +
                 std::to_string(expected_clients_));
        }
        if (!(norm_ > 0 && std::isfinite(norm_))) {
            fail("the clip norm must be finite and > 0, got " + std::to_string(norm_));
        }
        if (!(config_.target_quantile >= 0 && config_.target_quantile <= 1)) {
            fail("the target quantile must be in [0, 1], got " + std::to_string(config_.target_quantile));
        }
        if (!(config_.learning_rate >= 0 && std::isfinite(config_.learning_rate))) {
            fail("the learning rate must be finite and >= 0, got " + std::to_string(config_.learning_rate));
        }
        if (!(count_stddev_ >= 0 && std::isfinite(count_stddev_))) {
            fail("the count's standard deviation must be finite and >= 0, got " + std::to_string(count_stddev_));
        }
    }

    double z_;
    double expected_clients_;
    AdaptiveClippingConfig config_;
    double count_stddev_;
    double norm_;
    double sum_z_ = 0;
};

} // namespace fedpp::privacy

namespace fedpp {

/// z, m, C_0, gamma, eta, sigma_b, then the current clip norm C (all f64).
template <>
struct Codec<privacy::AdaptiveClipping> {
    static std::string type_name() { return "fedpp::privacy::AdaptiveClipping"; }
    static void encode(const privacy::AdaptiveClipping& clipping, ByteWriter& out) {
        out.write(clipping.noise_multiplier());
        out.write(clipping.expected_clients());
        out.write(clipping.config().initial_norm);
        out.write(clipping.config().target_quantile);
        out.write(clipping.config().learning_rate);
        out.write(clipping.count_stddev());
        out.write(clipping.norm());
    }
    static privacy::AdaptiveClipping decode(ByteReader& in) {
        const std::size_t at = in.position();
        const auto z = in.read<double>();
        const auto expected_clients = in.read<double>();
        privacy::AdaptiveClippingConfig config;
        config.initial_norm = in.read<double>();
        config.target_quantile = in.read<double>();
        config.learning_rate = in.read<double>();
        config.count_stddev = in.read<double>();
        const auto norm = in.read<double>();
        try {
            privacy::AdaptiveClipping clipping(z, expected_clients, config);
            clipping.norm_ = norm;
            clipping.validate();
            return clipping;
        } catch (const ArgumentError& e) {
            in.fail(std::string("not a valid adaptive clipping state: ") + e.what(), at);
        }
    }
};

} // namespace fedpp
