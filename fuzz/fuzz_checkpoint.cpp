// libFuzzer target: the checkpoint reader. Any input must either decode or
// throw a fedpp::Error; crashes, hangs, leaks and undefined behaviour are
// findings.
#include "invariants.hpp"

#include <fedpp/io/checkpoint.hpp>
#include <fedpp/federated.hpp>
#include <fedpp/federated/resume.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace {
/// What a DP resume checks next (DpRun::check_restorable), for a run of the
/// mechanism the state's first segment names (so the fuzzer can get past
/// that check): a state it accepts accounts at least its rounds, each of
/// that (q, z), with adaptive clipping of that z if any; else a finding.
void check_dp_state(const fedpp::federated::DpState& saved, std::size_t rounds_done) {
    const auto& history = saved.accountant.history();
    fedpp::federated::DpConfig dp;
    double q = 0.5;
    if (!history.empty()) {
        q = history.front().sampling_rate;
        dp.noise_multiplier = history.front().noise_multiplier;
    }
    if (saved.adaptive) {
        dp.adaptive = fedpp::privacy::AdaptiveClippingConfig{};
    }
    const fedpp::detail::DpRun run(dp, q, {10, 20}, {0, 1});
    run.check_restorable(saved, rounds_done); // refused: a CheckpointMismatchError
    bool accepted = saved.accountant.steps() >= rounds_done;
    for (const auto& segment : history) {
        accepted = accepted && segment.sampling_rate == q && segment.noise_multiplier == dp.noise_multiplier;
    }
    if (!accepted || (saved.adaptive && saved.adaptive->noise_multiplier() != dp.noise_multiplier)) {
        __builtin_trap();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = std::as_bytes(std::span(data, size));
    try {
        // The richest checkpoint type: a training state with a Sequential model.
        const auto state =
            fedpp::checkpoint_from_bytes<fedpp::federated::TrainingState<fedpp::nn::Sequential<float>>>(bytes, "fuzz");
        fuzzing::require_valid_model(state.global_model);
    } catch (const fedpp::Error&) {
    }
    try {
        fuzzing::require_valid_model(fedpp::checkpoint_from_bytes<fedpp::nn::Linear<double>>(bytes, "fuzz"));
    } catch (const fedpp::Error&) {
    }
    // The checksum stops almost every mutation at the framing; also take the
    // input as a payload with a correct frame and checksum, so the decoders
    // behind it are explored too.
    const fedpp::Bytes framed = fedpp::detail::checkpoint_file_bytes(bytes);
    try {
        const auto state =
            fedpp::checkpoint_from_bytes<fedpp::federated::TrainingState<fedpp::nn::Sequential<float>>>(framed, "fuzz");
        fuzzing::require_valid_model(state.global_model);
        // What a resume does with a decoded state before anything changes:
        // its set-up checked against a run's (records read only within
        // their count).
        fedpp::federated::Config config;
        config.dp = state.dp ? std::optional(fedpp::federated::DpConfig{}) : std::nullopt;
        fedpp::detail::check_state(state, config, std::vector<fedpp::federated::ClientRecord>(state.setup.client_count % 64),
                                   {}, "fuzz");
        if (state.dp) {
            check_dp_state(*state.dp, state.rounds_done);
        }
    } catch (const fedpp::Error&) {
    }
    try { // the format before client records, still read
        using Format3 = fedpp::detail::TrainingStateFormat3<fedpp::nn::Sequential<float>>;
        fuzzing::require_valid_model(fedpp::checkpoint_from_bytes<Format3>(framed, "fuzz").state.global_model);
    } catch (const fedpp::Error&) {
    }
    return 0;
}
