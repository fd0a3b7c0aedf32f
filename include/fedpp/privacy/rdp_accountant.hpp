// fedpp: a privacy accountant that keeps what a run has spent so far.
//
//     fedpp::privacy::RdpAccountant accountant;       // Opacus's default orders
//     accountant.add_steps(q, z);                     // after each round that released a noised sum
//     auto spent = accountant.spent(1e-5);            // spent.epsilon, spent.order
//     if (accountant.spent_after(q, z, 1, 1e-5).epsilon > budget) { /* stop before the next round */ }
//     fedpp::save_checkpoint(path, accountant);       // or inside a larger checkpointed state
//
// It records the steps as a history of (q, z, steps) segments (consecutive
// steps with the same q and z share one, as in Opacus's RDPAccountant) and
// keeps the total RDP per order: the sum over segments of steps times the
// RDP of one step, added in history order. So a history of one segment
// gives bit for bit the numbers privacy::epsilon(q, z, steps, delta) gives,
// however the steps were added, and an accountant rebuilt from its bytes
// (the Codec below stores the orders and the history, and recomputes the
// rest) reports bit for bit what the original did.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/privacy/dp_conversion.hpp"
#include "fedpp/privacy/rdp.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::privacy {

class RdpAccountant {
public:
    /// Steps of one mechanism, back to back.
    struct Segment {
        double sampling_rate = 0;    ///< q
        double noise_multiplier = 0; ///< z
        std::uint64_t steps = 0;
        friend bool operator==(const Segment&, const Segment&) = default;
    };

    /// An accountant with nothing spent, over Opacus's default orders.
    RdpAccountant() : RdpAccountant(default_orders()) {}

    /// Over other orders; ArgumentError if there are none, or one is not in
    /// (1, 1e6].
    explicit RdpAccountant(std::vector<double> orders)
        : orders_(std::move(orders)), closed_rdp_(orders_.size(), 0.0) {
        if (orders_.empty()) {
            throw ArgumentError("privacy::RdpAccountant: no RDP orders");
        }
        for (const double alpha : orders_) {
            fedpp::detail::check_order("privacy::RdpAccountant", alpha);
        }
    }

    /// Records `steps` steps of the Poisson-subsampled Gaussian mechanism
    /// with sampling rate q and noise multiplier z. ArgumentError (and
    /// nothing recorded) for q outside [0, 1], z not finite and > 0, or a
    /// total step count beyond 2^64 - 1.
    void add_steps(double q, double z, std::uint64_t steps = 1) {
        check_step_arguments("privacy::RdpAccountant::add_steps", q, z, steps);
        if (steps == 0) {
            return;
        }
        if (!history_.empty() && same_mechanism(history_.back(), q, z)) {
            history_.back().steps += steps;
        } else {
            std::vector<double> step_rdp = one_step_rdp(q, z); // may throw: nothing changed yet
            if (!history_.empty()) {
                close_last_segment();
            }
            history_.push_back({q, z, steps});
            last_step_rdp_ = std::move(step_rdp);
        }
        total_steps_ += steps;
    }

    /// The RDP spent so far, one value per order.
    [[nodiscard]] std::vector<double> rdp() const { return total_rdp(last_segment_steps(), {}, 0); }

    /// epsilon at `delta`, and the order that gave it.
    [[nodiscard]] PrivacySpent spent(double delta, Conversion conversion = Conversion::balle2020) const {
        return privacy_spent(orders_, rdp(), delta, conversion);
    }
    [[nodiscard]] double epsilon(double delta, Conversion conversion = Conversion::balle2020) const {
        return spent(delta, conversion).epsilon;
    }

    /// What spent() would report after add_steps(q, z, steps), with nothing
    /// recorded: whether a run can afford its next round. Bit for bit what
    /// add_steps then spent gives.
    [[nodiscard]] PrivacySpent spent_after(double q, double z, std::uint64_t steps, double delta,
                                           Conversion conversion = Conversion::balle2020) const {
        check_step_arguments("privacy::RdpAccountant::spent_after", q, z, steps);
        if (steps == 0) {
            return spent(delta, conversion);
        }
        if (!history_.empty() && same_mechanism(history_.back(), q, z)) {
            return privacy_spent(orders_, total_rdp(last_segment_steps() + steps, {}, 0), delta, conversion);
        }
        const std::vector<double> step_rdp = one_step_rdp(q, z);
        return privacy_spent(orders_, total_rdp(last_segment_steps(), step_rdp, steps), delta, conversion);
    }

    [[nodiscard]] const std::vector<double>& orders() const noexcept { return orders_; }
    [[nodiscard]] const std::vector<Segment>& history() const noexcept { return history_; }
    /// Steps recorded, over all segments.
    [[nodiscard]] std::uint64_t steps() const noexcept { return total_steps_; }

    /// Same orders and same history (and so the same numbers).
    friend bool operator==(const RdpAccountant& a, const RdpAccountant& b) {
        return a.orders_ == b.orders_ && a.history_ == b.history_;
    }

private:
    static bool same_mechanism(const Segment& segment, double q, double z) noexcept {
        return segment.sampling_rate == q && segment.noise_multiplier == z;
    }

    void check_step_arguments(const char* operation, double q, double z, std::uint64_t steps) const {
        fedpp::detail::check_sampling_rate(operation, q);
        fedpp::detail::check_noise_multiplier(operation, z);
        if (steps > std::numeric_limits<std::uint64_t>::max() - total_steps_) {
            throw ArgumentError(std::string(operation) + ": " + std::to_string(steps) + " more steps after " +
                                std::to_string(total_steps_) + " overflow the step count");
        }
    }

    [[nodiscard]] std::vector<double> one_step_rdp(double q, double z) const {
        std::vector<double> values;
        values.reserve(orders_.size());
        for (const double alpha : orders_) {
            values.push_back(privacy::rdp(q, z, alpha));
        }
        return values;
    }

    [[nodiscard]] std::uint64_t last_segment_steps() const noexcept {
        return history_.empty() ? 0 : history_.back().steps;
    }

    /// Folds the last segment into closed_rdp_, before another starts.
    void close_last_segment() {
        closed_rdp_ = total_rdp(last_segment_steps(), {}, 0);
    }

    /// closed + last_step_rdp_ * last_steps (+ extra * extra_steps), per
    /// order, added in that order: the one formula every total goes through.
    [[nodiscard]] std::vector<double> total_rdp(std::uint64_t last_steps, const std::vector<double>& extra,
                                                std::uint64_t extra_steps) const {
        std::vector<double> total = closed_rdp_;
        for (std::size_t k = 0; k < total.size(); ++k) {
            if (last_steps > 0) {
                total[k] += last_step_rdp_[k] * static_cast<double>(last_steps);
            }
            if (extra_steps > 0) {
                total[k] += extra[k] * static_cast<double>(extra_steps);
            }
        }
        return total;
    }

    std::vector<double> orders_;
    std::vector<Segment> history_;
    std::vector<double> closed_rdp_;    ///< RDP of every segment but the last
    std::vector<double> last_step_rdp_; ///< RDP of one step of the last segment
    std::uint64_t total_steps_ = 0;
};

} // namespace fedpp::privacy

namespace fedpp {

/// The orders and the history; decoding replays the history (and so
/// recomputes the RDP, validating every segment). Layout: u64 order count,
/// the orders (f64), u64 segment count, then per segment q (f64), z (f64),
/// steps (u64).
template <>
struct Codec<privacy::RdpAccountant> {
    static std::string type_name() { return "fedpp::privacy::RdpAccountant"; }
    static void encode(const privacy::RdpAccountant& accountant, ByteWriter& out) {
        Codec<std::vector<double>>::encode(accountant.orders(), out);
        out.write<std::uint64_t>(accountant.history().size());
        for (const auto& segment : accountant.history()) {
            out.write(segment.sampling_rate);
            out.write(segment.noise_multiplier);
            out.write<std::uint64_t>(segment.steps);
        }
    }
    static privacy::RdpAccountant decode(ByteReader& in) {
        std::size_t at = in.position();
        try {
            privacy::RdpAccountant accountant(Codec<std::vector<double>>::decode(in));
            const std::size_t segments = in.read_count(24, "the segment count");
            for (std::size_t s = 0; s < segments; ++s) {
                at = in.position();
                const auto q = in.read<double>();
                const auto z = in.read<double>();
                const auto steps = in.read<std::uint64_t>();
                if (steps == 0) {
                    in.fail("not a valid RDP accountant: a segment of 0 steps", at);
                }
                accountant.add_steps(q, z, steps);
            }
            return accountant;
        } catch (const ArgumentError& e) {
            in.fail(std::string("not a valid RDP accountant: ") + e.what(), at);
        }
    }
};

} // namespace fedpp
