// fedpp: the state of a federated run, what a checkpoint holds, and the
// set-up a run must have to resume from it.
#pragma once

#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_state.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/parameter_checks.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// What a run's result depends on besides its state and its clients' data:
/// the settings that change its course (by name, with their exact values:
/// the Config's, and a driver's own, such as SecureFederatedAveraging's
/// encoding, named "options.*"), the number of clients and a fingerprint of
/// their example counts. Not the
/// thread count (results do not depend on it), the target accuracy or the
/// checkpoint settings; nor a custom ClientUpdate, which cannot be compared:
/// resume with the same one.
struct RunSetup {
    using Settings = std::vector<std::pair<std::string, std::string>>;
    Settings settings; ///< e.g. {"client_fraction", "0.1"}
    std::uint64_t client_count = 0;
    std::uint64_t client_sizes_fingerprint = 0;

    bool operator==(const RunSetup&) const = default;
};

/// The part of a run that a checkpoint must hold to resume it exactly.
template <class M>
struct TrainingState {
    std::size_t rounds_done = 0;
    std::uint64_t seed = 0;
    M global_model;
    RunSetup setup; ///< filled by FederatedAveraging::state(); resuming must match it
    std::optional<DpState> dp = std::nullopt; ///< a DP run's accountant and clip norm
};

} // namespace fedpp::federated

namespace fedpp::detail {

/// The shortest text that reads back as exactly `value`.
inline std::string exact_text(double value) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

inline const char* aggregation_name(federated::Aggregation aggregation) noexcept {
    switch (aggregation) {
    case federated::Aggregation::weighted_mean: return "weighted_mean";
    case federated::Aggregation::coordinate_median: return "coordinate_median";
    case federated::Aggregation::trimmed_mean: return "trimmed_mean";
    case federated::Aggregation::secure: return "secure";
    }
    return "unknown";
}

/// A DP run's settings, by name (not the budget: a run may be continued
/// with a larger one).
template <class Add>
void add_dp_settings(const federated::DpConfig& dp, Add& add) {
    if (dp.adaptive) {
        add("dp.adaptive.initial_norm", exact_text(dp.adaptive->initial_norm));
        add("dp.adaptive.target_quantile", exact_text(dp.adaptive->target_quantile));
        add("dp.adaptive.learning_rate", exact_text(dp.adaptive->learning_rate));
        add("dp.adaptive.count_stddev",
            dp.adaptive->count_stddev ? exact_text(*dp.adaptive->count_stddev) : std::string("default"));
    } else {
        add("dp.clip_norm", exact_text(dp.clip_norm));
    }
    add("dp.noise_multiplier", exact_text(dp.noise_multiplier));
    add("dp.estimator", dp.estimator == privacy::Estimator::weighted ? "weighted" : "unweighted");
    add("dp.weight_cap", exact_text(dp.weight_cap));
    add("dp.delta", exact_text(dp.delta));
}

/// The set-up of a run with `config` over clients of `sizes` examples, and
/// its driver's own `driver_settings` (after the config's).
inline federated::RunSetup run_setup(const federated::Config& config, const std::vector<std::size_t>& sizes,
                                     const federated::RunSetup::Settings& driver_settings = {}) {
    federated::RunSetup setup;
    auto add = [&](const char* name, std::string value) { setup.settings.emplace_back(name, std::move(value)); };
    add("seed", std::to_string(config.seed));
    add("client_fraction", exact_text(config.client_fraction));
    add("local.epochs", std::to_string(config.local.epochs));
    add("local.batch_size", std::to_string(config.local.batch_size));
    add("local.learning_rate", exact_text(config.local.learning_rate));
    add("local.momentum", exact_text(config.local.momentum));
    add("local.weight_decay", exact_text(config.local.weight_decay));
    add("min_clients", std::to_string(config.min_clients));
    add("aggregation", aggregation_name(config.aggregation));
    if (config.aggregation == federated::Aggregation::trimmed_mean) {
        add("trim_fraction", exact_text(config.trim_fraction));
    }
    if (config.dp) {
        add_dp_settings(*config.dp, add);
    }
    setup.settings.insert(setup.settings.end(), driver_settings.begin(), driver_settings.end());
    setup.client_count = sizes.size();
    std::uint64_t fingerprint = mix64(sizes.size());
    for (const std::size_t size : sizes) {
        fingerprint = mix64(fingerprint ^ size);
    }
    setup.client_sizes_fingerprint = fingerprint;
    return setup;
}

[[noreturn]] inline void refuse_resume(const std::string& what, const std::string& why) {
    throw CheckpointMismatchError(what + ": cannot resume from it: " + why +
                                  " (a resumed run ends as the uninterrupted one would only with the same set-up)");
}

/// Where a setting of RunSetup is set: "config.local.epochs",
/// "SecureRoundOptions::encoding.clipping_range" (a driver's "options.*").
inline std::string setting_source(const std::string& name) {
    constexpr std::string_view driver_option = "options.";
    if (name.starts_with(driver_option)) {
        return "SecureRoundOptions::" + name.substr(driver_option.size());
    }
    return "config." + name;
}

/// CheckpointMismatchError naming the first thing that differs between the
/// set-up a state was saved with and this run's (`config` over clients of
/// `sizes` examples, with its driver's own `driver_settings`), or if the
/// state has done more rounds than this run is to do. `what` names the
/// state.
inline void check_resumable(const federated::RunSetup& saved, std::size_t rounds_done,
                            const federated::Config& config, const std::vector<std::size_t>& sizes,
                            const federated::RunSetup::Settings& driver_settings, const std::string& what) {
    if (saved.settings.empty()) {
        refuse_resume(what, "it records no run set-up (it was not made by FederatedAveraging::state())");
    }
    const federated::RunSetup current = run_setup(config, sizes, driver_settings);
    auto saved_value = [&](const std::string& name) -> std::string {
        for (const auto& [saved_name, value] : saved.settings) {
            if (saved_name == name) {
                return value;
            }
        }
        return "not recorded";
    };
    for (const auto& [name, value] : current.settings) {
        if (const std::string then = saved_value(name); then != value) {
            if (then == "not recorded" && name.starts_with("options.")) {
                refuse_resume(what, "the fedpp that saved it did not record the driver's " + setting_source(name) +
                                        " (this run's is " + value + "), so a resume cannot be checked against "
                                        "it: finish that run with the fedpp that saved it, or start afresh");
            }
            refuse_resume(what, setting_source(name) + " is " + value + " in this run but " + then +
                                    " in the run that saved it");
        }
    }
    if (saved.settings.size() != current.settings.size()) {
        refuse_resume(what, "the run that saved it recorded settings this run does not have (" +
                                std::to_string(saved.settings.size()) + " against " +
                                std::to_string(current.settings.size()) + ")");
    }
    if (saved.client_count != current.client_count) {
        refuse_resume(what, "this run has " + std::to_string(current.client_count) +
                                " clients, the run that saved it " + std::to_string(saved.client_count));
    }
    if (saved.client_sizes_fingerprint != current.client_sizes_fingerprint) {
        refuse_resume(what, "the clients' example counts (client sizes) differ from those of the run that saved it: "
                            "another partition of the data, or other clients reached");
    }
    if (rounds_done > config.rounds) {
        refuse_resume(what, "it has " + std::to_string(rounds_done) + " rounds done, more than this run's " +
                                "config.rounds (" + std::to_string(config.rounds) + "): raise config.rounds to "
                                "continue it");
    }
}

/// What a restored state continues from, besides its model.
struct Resumed {
    std::size_t rounds_done = 0;
    std::optional<federated::DpState> dp;
};

/// Loads `state` into `model` if it may be resumed by a run with `config`
/// over clients of `sizes` examples and its driver's `driver_settings`
/// (check_resumable; ShapeError if the layouts differ); returns its rounds
/// done and DP state.
template <class M>
Resumed restore_state(const federated::TrainingState<M>& state, M& model, const federated::Config& config,
                      const std::vector<std::size_t>& sizes, const federated::RunSetup::Settings& driver_settings,
                      const std::string& what) {
    check_resumable(state.setup, state.rounds_done, config, sizes, driver_settings, what);
    if (config.dp.has_value() != state.dp.has_value()) {
        refuse_resume(what, config.dp ? "it holds no DP state (accountant), and this run is differentially private"
                                      : "it holds a DP state, and this run is not differentially private");
    }
    const auto parameters = state.global_model.parameters();
    if (const std::size_t k = first_non_finite(parameters); k != parameters.size()) {
        throw CheckpointFormatError(what + ": cannot resume from it: parameter " + std::to_string(k) +
                                    " of its global model holds NaN or infinite values (every client's update "
                                    "would be too, and be rejected)");
    }
    nn::load_parameters(model, state.global_model);
    return {state.rounds_done, state.dp};
}

/// The type name of a training state in checkpoints before format 2, which
/// recorded no set-up.
template <class M>
std::string training_state_format_1_name() {
    return "fedpp::federated::TrainingState<" + Codec<M>::type_name() + ">";
}

} // namespace fedpp::detail

namespace fedpp::detail {
/// A training state of format 2 (no DP state), still read.
template <class M>
struct TrainingStateFormat2 {
    federated::TrainingState<M> state;
};

/// Rounds done, seed and set-up: what formats 2 and 3 begin with.
template <class M>
void encode_state_head(const federated::TrainingState<M>& state, ByteWriter& out) {
    out.write<std::uint64_t>(state.rounds_done);
    out.write<std::uint64_t>(state.seed);
    out.write<std::uint64_t>(state.setup.settings.size());
    for (const auto& [name, value] : state.setup.settings) {
        out.write_string(name);
        out.write_string(value);
    }
    out.write<std::uint64_t>(state.setup.client_count);
    out.write<std::uint64_t>(state.setup.client_sizes_fingerprint);
}

/// Reads what encode_state_head wrote into `setup`; the rounds done and seed.
inline std::pair<std::size_t, std::uint64_t> decode_state_head(ByteReader& in, federated::RunSetup& setup) {
    const std::size_t rounds_done = in.read_size("the rounds done");
    const auto seed = in.read<std::uint64_t>();
    const std::size_t settings = in.read_count(16, "the setting count");
    for (std::size_t i = 0; i < settings; ++i) {
        std::string name = in.read_string();
        setup.settings.emplace_back(std::move(name), in.read_string());
    }
    setup.client_count = in.read_size("the client count");
    setup.client_sizes_fingerprint = in.read<std::uint64_t>();
    return {rounds_done, seed};
}
} // namespace fedpp::detail

namespace fedpp {
/// Format 3: rounds done, seed, the run's set-up, u8 1 and the DP state (or
/// u8 0), then the model. Format 2 had no DP byte and state.
template <class M>
struct Codec<federated::TrainingState<M>> {
    static std::string type_name() { return detail::training_state_format_1_name<M>() + ", format 3"; }
    static void encode(const federated::TrainingState<M>& state, ByteWriter& out) {
        detail::encode_state_head(state, out);
        out.write<std::uint8_t>(state.dp ? 1 : 0);
        if (state.dp) {
            Codec<federated::DpState>::encode(*state.dp, out);
        }
        Codec<M>::encode(state.global_model, out);
    }
    static federated::TrainingState<M> decode(ByteReader& in) {
        federated::RunSetup setup;
        const auto [rounds_done, seed] = detail::decode_state_head(in, setup);
        const std::size_t at = in.position();
        const auto has_dp = in.read<std::uint8_t>();
        if (has_dp > 1) {
            in.fail("not a valid training state: the DP flag is " + std::to_string(has_dp), at);
        }
        std::optional<federated::DpState> dp;
        if (has_dp == 1) {
            dp.emplace(Codec<federated::DpState>::decode(in));
        }
        return {rounds_done, seed, Codec<M>::decode(in), std::move(setup), std::move(dp)};
    }
};

template <class M>
struct Codec<detail::TrainingStateFormat2<M>> {
    static std::string type_name() { return detail::training_state_format_1_name<M>() + ", format 2"; }
    static void encode(const detail::TrainingStateFormat2<M>& old, ByteWriter& out) {
        detail::encode_state_head(old.state, out);
        Codec<M>::encode(old.state.global_model, out);
    }
    static detail::TrainingStateFormat2<M> decode(ByteReader& in) {
        federated::RunSetup setup;
        const auto [rounds_done, seed] = detail::decode_state_head(in, setup);
        return {{rounds_done, seed, Codec<M>::decode(in), std::move(setup), std::nullopt}};
    }
};
} // namespace fedpp

namespace fedpp::detail {
/// load_checkpoint<TrainingState<M>>: format 3, or format 2 (which has no
/// DP state) as before; a checkpoint of format 1 refused by
/// CheckpointVersionError saying why.
template <class M>
federated::TrainingState<M> load_training_state(const std::string& path) {
    const Bytes file = read_file_bytes(path);
    const auto payload = checkpoint_payload(file, path);
    std::string name;
    try {
        ByteReader probe(payload, path);
        name = probe.read_string_view();
    } catch (const SerializationError&) {
        // Not even a type name: decode_checkpoint_payload says so.
    }
    if (name == training_state_format_1_name<M>()) {
        throw CheckpointVersionError("checkpoint '" + path + "': a training state of format 1, which does not "
                                     "record the run's set-up, so resuming it cannot be checked; this fedpp "
                                     "reads formats 2 and 3: start the run afresh, or finish it with the fedpp "
                                     "that saved it");
    }
    if (name == Codec<TrainingStateFormat2<M>>::type_name()) {
        return decode_checkpoint_payload<TrainingStateFormat2<M>>(payload, path).state;
    }
    return decode_checkpoint_payload<federated::TrainingState<M>>(payload, path);
}

/// restore_state from the checkpoint file `path`.
template <class M>
Resumed resume_state(const std::string& path, M& model, const federated::Config& config,
                     const std::vector<std::size_t>& sizes, const federated::RunSetup::Settings& driver_settings) {
    const auto saved = load_training_state<M>(path);
    try {
        return restore_state(saved, model, config, sizes, driver_settings, "checkpoint '" + path + "'");
    } catch (const ShapeError& e) {
        throw CheckpointShapeError("checkpoint '" + path + "': " + e.what());
    }
}
} // namespace fedpp::detail
