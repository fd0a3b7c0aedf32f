// fedpp: the state of a federated run, what a checkpoint holds, and the
// set-up a run must have to resume from it.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_record.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_state.hpp"
#include "fedpp/federated/seeds.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/io/codec.hpp"
#include "fedpp/nn/module.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::federated {

/// What a run's result depends on besides its state and its clients' data:
/// the settings that change its course (by name, with their exact values:
/// the Config's, and a driver's own, such as SecureFederatedAveraging's
/// encoding, named "options.*"), and its clients: their number, their
/// example counts and which were left out. Not the
/// thread count (results do not depend on it), the target accuracy or the
/// checkpoint settings; nor a custom ClientUpdate, which cannot be compared:
/// resume with the same one.
struct RunSetup {
    using Settings = std::vector<std::pair<std::string, std::string>>;
    Settings settings; ///< e.g. {"client_fraction", "0.1"}
    std::uint64_t client_count = 0;
    /// Of every client's example count (a client left out when the run
    /// started counts 0): all that formats 2 and 3 record of the clients.
    std::uint64_t client_sizes_fingerprint = 0;
    /// Each client's record (format 4; empty when read from formats 2 and 3,
    /// and then resumed by the fingerprint alone).
    std::vector<ClientRecord> clients;

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

/// RunSetup::client_sizes_fingerprint of `clients`.
inline std::uint64_t sizes_fingerprint(const std::vector<federated::ClientRecord>& clients) noexcept {
    std::uint64_t fingerprint = mix64(clients.size());
    for (const federated::ClientRecord& client : clients) {
        fingerprint = mix64(fingerprint ^ client.examples);
    }
    return fingerprint;
}

/// The set-up of a run with `config` over `clients`, and its driver's own
/// `driver_settings` (after the config's).
inline federated::RunSetup run_setup(const federated::Config& config, std::vector<federated::ClientRecord> clients,
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
    setup.client_count = clients.size();
    setup.client_sizes_fingerprint = sizes_fingerprint(clients);
    setup.clients = std::move(clients);
    return setup;
}

/// run_setup() of clients of `sizes` examples, none left out.
inline federated::RunSetup run_setup(const federated::Config& config, const std::vector<std::size_t>& sizes,
                                     const federated::RunSetup::Settings& driver_settings = {}) {
    std::vector<federated::ClientRecord> clients;
    clients.reserve(sizes.size());
    for (const std::size_t size : sizes) {
        clients.push_back({size, false});
    }
    return run_setup(config, std::move(clients), driver_settings);
}

/// The type name of a training state in checkpoints before format 2, which
/// recorded no set-up.
template <class M>
std::string training_state_format_1_name() {
    return "fedpp::federated::TrainingState<" + Codec<M>::type_name() + ">";
}

} // namespace fedpp::detail

namespace fedpp::federated {

/// Whether `setup` records the settings of a run with `config` (and its
/// driver's own `driver_settings`): the part of what a resume compares
/// that needs no client.
[[nodiscard]] inline bool same_settings(const RunSetup& setup, const Config& config,
                                        const RunSetup::Settings& driver_settings = {}) {
    return setup.settings == detail::run_setup(config, std::vector<ClientRecord>{}, driver_settings).settings;
}

} // namespace fedpp::federated

namespace fedpp::detail {
/// A training state of format 2 (no DP state), still read.
template <class M>
struct TrainingStateFormat2 {
    federated::TrainingState<M> state;
};

/// A training state of format 3 (no client records), still read.
template <class M>
struct TrainingStateFormat3 {
    federated::TrainingState<M> state;
};

/// Rounds done, seed and set-up: what formats 2 to 4 begin with.
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

/// u8 1 and the DP state, or u8 0: what follows the head from format 3 on.
inline void encode_dp_state(const std::optional<federated::DpState>& dp, ByteWriter& out) {
    out.write<std::uint8_t>(dp ? 1 : 0);
    if (dp) {
        Codec<federated::DpState>::encode(*dp, out);
    }
}

inline std::optional<federated::DpState> decode_dp_state(ByteReader& in) {
    const std::size_t at = in.position();
    const auto has_dp = in.read<std::uint8_t>();
    if (has_dp > 1) {
        in.fail("not a valid training state: the DP flag is " + std::to_string(has_dp), at);
    }
    std::optional<federated::DpState> dp;
    if (has_dp == 1) {
        dp.emplace(Codec<federated::DpState>::decode(in));
    }
    return dp;
}
} // namespace fedpp::detail

namespace fedpp {
/// Format 4: rounds done, seed, the run's set-up with its client records
/// (encode_client_records; none for a set-up read from format 3), u8 1 and
/// the DP state (or u8 0), then the model.
/// Format 3 had no client records, format 2 no DP byte and state either.
template <class M>
struct Codec<federated::TrainingState<M>> {
    static std::string type_name() { return detail::training_state_format_1_name<M>() + ", format 4"; }
    /// ArgumentError for a set-up with client records, but not one for
    /// each of its clients.
    static void encode(const federated::TrainingState<M>& state, ByteWriter& out) {
        if (const std::size_t records = state.setup.clients.size();
            records != 0 && records != state.setup.client_count) {
            throw ArgumentError("a training state's set-up of " + std::to_string(state.setup.client_count) +
                                " clients with " + std::to_string(records) +
                                " client records (FederatedAveraging::state() makes one for each)");
        }
        detail::encode_state_head(state, out);
        detail::encode_client_records(state.setup.clients, out);
        detail::encode_dp_state(state.dp, out);
        Codec<M>::encode(state.global_model, out);
    }
    static federated::TrainingState<M> decode(ByteReader& in) {
        federated::RunSetup setup;
        const auto [rounds_done, seed] = detail::decode_state_head(in, setup);
        setup.clients = detail::decode_client_records(in, setup.client_count);
        auto dp = detail::decode_dp_state(in);
        return {rounds_done, seed, Codec<M>::decode(in), std::move(setup), std::move(dp)};
    }
};

template <class M>
struct Codec<detail::TrainingStateFormat3<M>> {
    static std::string type_name() { return detail::training_state_format_1_name<M>() + ", format 3"; }
    static void encode(const detail::TrainingStateFormat3<M>& old, ByteWriter& out) {
        detail::encode_state_head(old.state, out);
        detail::encode_dp_state(old.state.dp, out);
        Codec<M>::encode(old.state.global_model, out);
    }
    static detail::TrainingStateFormat3<M> decode(ByteReader& in) {
        federated::RunSetup setup;
        const auto [rounds_done, seed] = detail::decode_state_head(in, setup);
        auto dp = detail::decode_dp_state(in);
        return {{rounds_done, seed, Codec<M>::decode(in), std::move(setup), std::move(dp)}};
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
/// load_checkpoint<TrainingState<M>>: format 4, or formats 3 (no client
/// records) and 2 (no DP state either) as before; a checkpoint of format 1 refused by
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
                                     "reads formats 2 to 4: start the run afresh, or finish it with the fedpp "
                                     "that saved it");
    }
    if (name == Codec<TrainingStateFormat2<M>>::type_name()) {
        return decode_checkpoint_payload<TrainingStateFormat2<M>>(payload, path).state;
    }
    if (name == Codec<TrainingStateFormat3<M>>::type_name()) {
        return decode_checkpoint_payload<TrainingStateFormat3<M>>(payload, path).state;
    }
    return decode_checkpoint_payload<federated::TrainingState<M>>(payload, path);
}

} // namespace fedpp::detail
