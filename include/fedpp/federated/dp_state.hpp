// fedpp: what a differentially private run has spent, and its clip norm:
// the part of a DP run's state a checkpoint holds (state.hpp).
#pragma once

#include "fedpp/io/codec.hpp"
#include "fedpp/privacy/adaptive_clipping.hpp"
#include "fedpp/privacy/rdp_accountant.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fedpp::federated {

struct DpState {
    /// One step of the Poisson-subsampled Gaussian mechanism per round run.
    privacy::RdpAccountant accountant;
    /// The adaptive clipping's state (its current clip norm), if adaptive.
    std::optional<privacy::AdaptiveClipping> adaptive = std::nullopt;

    friend bool operator==(const DpState&, const DpState&) = default;
};

} // namespace fedpp::federated

namespace fedpp {

/// The accountant, then u8 1 and the adaptive clipping state, or u8 0.
template <>
struct Codec<federated::DpState> {
    static std::string type_name() { return "fedpp::federated::DpState"; }
    static void encode(const federated::DpState& state, ByteWriter& out) {
        Codec<privacy::RdpAccountant>::encode(state.accountant, out);
        out.write<std::uint8_t>(state.adaptive ? 1 : 0);
        if (state.adaptive) {
            Codec<privacy::AdaptiveClipping>::encode(*state.adaptive, out);
        }
    }
    static federated::DpState decode(ByteReader& in) {
        federated::DpState state{Codec<privacy::RdpAccountant>::decode(in), std::nullopt};
        const std::size_t at = in.position();
        const auto adaptive = in.read<std::uint8_t>();
        if (adaptive > 1) {
            in.fail("not a valid DP state: the adaptive clipping flag is " + std::to_string(adaptive), at);
        }
        if (adaptive == 1) {
            state.adaptive.emplace(Codec<privacy::AdaptiveClipping>::decode(in));
        }
        return state;
    }
};

} // namespace fedpp
