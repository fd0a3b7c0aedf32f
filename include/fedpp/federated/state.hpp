// fedpp: the state of a federated run, what a checkpoint holds, and the
// set-up a run must have to resume from it.
#pragma once

#include "fedpp/federated/config.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/module.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// What a run's result depends on besides its state and its clients' data:
/// the settings that change its course (by name, with their exact values),
/// the number of clients and a fingerprint of their example counts. Not the
/// thread count (results do not depend on it), the target accuracy or the
/// checkpoint settings; nor a custom ClientUpdate, which cannot be compared:
/// resume with the same one.
struct RunSetup {
    std::vector<std::pair<std::string, std::string>> settings; ///< e.g. {"client_fraction", "0.1"}
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
    }
    return "unknown";
}

/// The set-up of a run with `config` over clients of `sizes` examples.
inline federated::RunSetup run_setup(const federated::Config& config, const std::vector<std::size_t>& sizes) {
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

/// CheckpointMismatchError naming the first thing that differs between the
/// set-up a state was saved with and this run's, or if the state has done
/// more rounds than this run is to do. `what` names the state.
inline void check_resumable(const federated::RunSetup& saved, std::size_t rounds_done,
                            const federated::Config& config, const std::vector<std::size_t>& sizes,
                            const std::string& what) {
    if (saved.settings.empty()) {
        refuse_resume(what, "it records no run set-up (it was not made by FederatedAveraging::state())");
    }
    const federated::RunSetup current = run_setup(config, sizes);
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
            refuse_resume(what, "config." + name + " is " + value + " in this run but " + then +
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
                            "another partition of the data");
    }
    if (rounds_done > config.rounds) {
        refuse_resume(what, "it has " + std::to_string(rounds_done) + " rounds done, more than this run's " +
                                "config.rounds (" + std::to_string(config.rounds) + "): raise config.rounds to "
                                "continue it");
    }
}

/// Loads `state` into `model` if it may be resumed by a run with `config`
/// over clients of `sizes` examples (check_resumable; ShapeError if the
/// layouts differ); returns its rounds done.
template <class M>
std::size_t restore_state(const federated::TrainingState<M>& state, M& model, const federated::Config& config,
                          const std::vector<std::size_t>& sizes, const std::string& what) {
    check_resumable(state.setup, state.rounds_done, config, sizes, what);
    nn::load_parameters(model, state.global_model);
    return state.rounds_done;
}

/// The type name of a training state in checkpoints before format 2, which
/// recorded no set-up.
template <class M>
std::string training_state_format_1_name() {
    return "fedpp::federated::TrainingState<" + Codec<M>::type_name() + ">";
}

} // namespace fedpp::detail

namespace fedpp {
/// Format 2: rounds done, seed, the run's set-up, then the model.
template <class M>
struct Codec<federated::TrainingState<M>> {
    static std::string type_name() { return detail::training_state_format_1_name<M>() + ", format 2"; }
    static void encode(const federated::TrainingState<M>& state, ByteWriter& out) {
        out.write<std::uint64_t>(state.rounds_done);
        out.write<std::uint64_t>(state.seed);
        out.write<std::uint64_t>(state.setup.settings.size());
        for (const auto& [name, value] : state.setup.settings) {
            out.write_string(name);
            out.write_string(value);
        }
        out.write<std::uint64_t>(state.setup.client_count);
        out.write<std::uint64_t>(state.setup.client_sizes_fingerprint);
        Codec<M>::encode(state.global_model, out);
    }
    static federated::TrainingState<M> decode(ByteReader& in) {
        const std::size_t rounds_done = in.read_size("the rounds done");
        const auto seed = in.read<std::uint64_t>();
        federated::RunSetup setup;
        const std::size_t settings = in.read_count(16, "the setting count");
        for (std::size_t i = 0; i < settings; ++i) {
            std::string name = in.read_string();
            setup.settings.emplace_back(std::move(name), in.read_string());
        }
        setup.client_count = in.read_size("the client count");
        setup.client_sizes_fingerprint = in.read<std::uint64_t>();
        return {rounds_done, seed, Codec<M>::decode(in), std::move(setup)};
    }
};
} // namespace fedpp

namespace fedpp::detail {
/// load_checkpoint<TrainingState<M>>, with a checkpoint of format 1 refused
/// by CheckpointVersionError saying why.
template <class M>
federated::TrainingState<M> load_training_state(const std::string& path) {
    const Bytes file = read_file_bytes(path);
    const auto payload = checkpoint_payload(file, path);
    ByteReader probe(payload, path);
    try {
        if (probe.read_string_view() == training_state_format_1_name<M>()) {
            throw CheckpointVersionError("checkpoint '" + path + "': a training state of format 1, which does not "
                                         "record the run's set-up, so resuming it cannot be checked; this fedpp "
                                         "reads format 2: start the run afresh, or finish it with the fedpp that "
                                         "saved it");
        }
    } catch (const SerializationError&) {
        // Not even a type name: decode_checkpoint_payload says so.
    }
    return decode_checkpoint_payload<federated::TrainingState<M>>(payload, path);
}
} // namespace fedpp::detail
