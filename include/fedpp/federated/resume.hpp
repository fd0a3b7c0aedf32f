// fedpp: whether a run may continue from a saved state (the same settings,
// the same clients' example counts), and loading it into the run.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/federated/client_record.hpp"
#include "fedpp/federated/config.hpp"
#include "fedpp/federated/dp_state.hpp"
#include "fedpp/federated/state.hpp"
#include "fedpp/io/checkpoint.hpp"
#include "fedpp/nn/module.hpp"
#include "fedpp/nn/parameter_checks.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fedpp::detail {

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

/// Whether a run counted `client`'s examples: reached, or set aside after
/// it was (a client never reached is left out with 0).
inline bool counted(const federated::ClientRecord& client) noexcept { return !client.left_out || client.examples > 0; }

/// CheckpointMismatchError unless each client that both runs counted has
/// the same example count in both; of a state of format 3 or before, which
/// records only a fingerprint of the counts, unless every client's count is
/// the same (those left out counting 0).
inline void check_clients(const federated::RunSetup& saved, const federated::RunSetup& current,
                          const std::string& what) {
    if (saved.clients.empty()) {
        if (saved.client_sizes_fingerprint != current.client_sizes_fingerprint) {
            refuse_resume(what, "the clients' example counts (client sizes) differ from those of the run that saved "
                                "it: another partition of the data, or other clients reached (a checkpoint of "
                                "format 3 or before records only a fingerprint of the counts)");
        }
        return;
    }
    for (std::size_t k = 0; k < current.clients.size(); ++k) {
        const auto& then = saved.clients[k];
        const auto& now = current.clients[k];
        if (counted(then) && counted(now) && then.examples != now.examples) {
            refuse_resume(what, "client " + std::to_string(k) + " has " + std::to_string(now.examples) +
                                    " examples in this run but " + std::to_string(then.examples) +
                                    " in the run that saved it: another partition of the data");
        }
    }
}

/// Runs `resume`; a CheckpointMismatchError it throws gets `note` added
/// (a likely cause; "": nothing added).
template <class Resume>
void noting_on_mismatch(const std::string& note, const Resume& resume) {
    try {
        resume();
    } catch (const CheckpointMismatchError& e) {
        if (note.empty()) {
            throw;
        }
        throw CheckpointMismatchError(e.what() + note);
    }
}

/// CheckpointMismatchError naming the first thing that differs between the
/// set-up a state was saved with and this run's (`config` over `clients`,
/// with its driver's own `driver_settings`), or if the state has done more
/// rounds than this run is to do. A client left out of either run (not
/// reached, or refusing) may differ: the resumed run then takes the saved
/// run's clients (RunParties::adoption). `what` names the state.
inline void check_resumable(const federated::RunSetup& saved, std::size_t rounds_done,
                            const federated::Config& config, const std::vector<federated::ClientRecord>& clients,
                            const federated::RunSetup::Settings& driver_settings, const std::string& what) {
    if (saved.settings.empty()) {
        refuse_resume(what, "it records no run set-up (it was not made by FederatedAveraging::state())");
    }
    const federated::RunSetup current = run_setup(config, clients, driver_settings);
    auto saved_value = [&](const std::string& name) -> std::string {
        for (const auto& [saved_name, value] : saved.settings) {
            if (saved_name == name) {
                return value;
            }
        }
        return "not recorded";
    };
    const auto private_run = [](const federated::RunSetup& setup) {
        return std::any_of(setup.settings.begin(), setup.settings.end(),
                           [](const auto& setting) { return setting.first.starts_with("dp."); });
    };
    if (saved_value("dp.estimator") == "weighted" && saved_value("dp.weight_cap") == "0") {
        refuse_resume(what, "its weighted estimator took its cap from the clients' counts (dp.weight_cap 0), "
                            "which fedpp no longer allows (every weight then depends on one client): finish that "
                            "run with the fedpp that saved it, or start afresh");
    }
    if (private_run(saved) != private_run(current)) {
        refuse_resume(what, private_run(current) ? "this run is differentially private (config.dp), the run that "
                                                   "saved it was not"
                                                 : "the run that saved it was differentially private (config.dp), "
                                                   "this run is not");
    }
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
    if (!saved.clients.empty() && saved.clients.size() != saved.client_count) {
        refuse_resume(what, "its set-up has " + std::to_string(saved.clients.size()) + " client records for " +
                                std::to_string(saved.client_count) + " clients");
    }
    check_clients(saved, current, what);
    if (rounds_done > config.rounds) {
        refuse_resume(what, "it has " + std::to_string(rounds_done) + " rounds done, more than this run's " +
                                "config.rounds (" + std::to_string(config.rounds) + "): raise config.rounds to "
                                "continue it");
    }
}

/// CheckpointMismatchError (check_resumable; a DP state where this run has
/// none, or none where it has one) or CheckpointFormatError (a NaN or an
/// infinity in its global model) unless a run with `config` over `clients`
/// and its driver's `driver_settings` may continue from `state`; `what`
/// names the state. Changes nothing.
template <class M>
void check_state(const federated::TrainingState<M>& state, const federated::Config& config,
                 const std::vector<federated::ClientRecord>& clients,
                 const federated::RunSetup::Settings& driver_settings, const std::string& what) {
    check_resumable(state.setup, state.rounds_done, config, clients, driver_settings, what);
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
}

} // namespace fedpp::detail
