// --init-weights FILE and --save-weights FILE for the federated examples
// (digits_fedavg, mnist_fedavg): start from parameters trained elsewhere
// (e.g. by PyTorch) and hand the result back, as safetensors or .npz by the
// file's extension, with PyTorch's state_dict names (see the README,
// "Models in and out: PyTorch").
#pragma once

#include "command_line.hpp"

#include <fedpp/io/weights.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

namespace examples {

/// The help lines of the two options.
inline constexpr const char* init_weights_help = "start from these parameters (.safetensors or .npz, PyTorch's names)";
inline constexpr const char* save_weights_help = "save the final parameters (.safetensors or .npz)";

/// A usage error (exit 2) unless `path`, given with --`option`, names a
/// weights format (by its extension).
inline void check_weights_format(const CommandLine& cli, const char* option, const std::string& path) {
    try {
        (void)fedpp::io::weights_format_of(path);
    } catch (const fedpp::ArgumentError& e) {
        cli.fail(std::string("--") + option + ": " + e.what());
    }
}

/// A usage error (exit 2), before any training, unless --save-weights (if
/// given) names a known format in a directory this program can write to
/// (save_weights writes FILE.tmp there, then renames it): a bad destination
/// is not found out only after the run.
inline void check_save_weights(const CommandLine& cli) {
    const std::string path = cli.text("save-weights", "");
    if (path.empty()) {
        return;
    }
    check_weights_format(cli, "save-weights", path);
    const std::filesystem::path file(path);
    const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
    std::error_code error; // (a path that cannot be examined counts as no directory)
    if (std::filesystem::is_directory(file, error)) {
        cli.fail("--save-weights: '" + path + "' is a directory");
    }
    if (!std::filesystem::is_directory(directory, error)) {
        cli.fail("--save-weights: cannot write '" + path + "': there is no directory '" + directory.string() + "'");
    }
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
        cli.fail("--save-weights: cannot write '" + path + "': " + std::strerror(errno));
    }
}

/// Checks --init-weights's format and --save-weights (check_save_weights),
/// before any training, then loads --init-weights into `model`.
template <class M>
void load_init_weights(const CommandLine& cli, M& model) {
    const std::string path = cli.text("init-weights", "");
    if (!path.empty()) {
        check_weights_format(cli, "init-weights", path);
    }
    check_save_weights(cli);
    if (!path.empty()) {
        fedpp::io::load_weights(path, model); // a failure ends the program with its message (run_program)
        for (const auto& entry : fedpp::io::state_dict(std::as_const(model))) { // nothing trains from NaN
            if (!entry.tensor.value().allFinite()) {
                throw fedpp::io::WeightsFileError(path + ": array '" + entry.name +
                                                  "' holds NaN or infinite values: no model trains from them");
            }
        }
        std::printf("initial weights: %s\n", path.c_str());
    }
}

/// Saves `model` to --save-weights, if given.
template <class M>
void save_final_weights(const CommandLine& cli, const M& model) {
    if (const std::string path = cli.text("save-weights", ""); !path.empty()) {
        fedpp::io::save_weights(path, model); // a failure ends the program with its message (run_program)
        std::printf("final weights saved to %s\n", path.c_str());
    }
}

} // namespace examples
