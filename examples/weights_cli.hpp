// --init-weights FILE and --save-weights FILE for the federated examples
// (digits_fedavg, mnist_fedavg): start from parameters trained elsewhere
// (e.g. by PyTorch) and hand the result back, as safetensors or .npz by the
// file's extension, with PyTorch's state_dict names (see the README,
// "Models in and out: PyTorch").
#pragma once

#include "command_line.hpp"

#include <fedpp/io/weights.hpp>

#include <cstdio>
#include <string>

namespace examples {

/// The help lines of the two options.
inline constexpr const char* init_weights_help = "start from these parameters (.safetensors or .npz, PyTorch's names)";
inline constexpr const char* save_weights_help = "save the final parameters (.safetensors or .npz)";

/// Checks that --init-weights and --save-weights name a known format
/// (before any training), then loads --init-weights into `model`.
template <class M>
void load_init_weights(const CommandLine& cli, M& model) {
    for (const char* option : {"init-weights", "save-weights"}) {
        if (const std::string path = cli.text(option, ""); !path.empty()) {
            try {
                (void)fedpp::io::weights_format_of(path);
            } catch (const fedpp::ArgumentError& e) {
                cli.fail(std::string("--") + option + ": " + e.what());
            }
        }
    }
    if (const std::string path = cli.text("init-weights", ""); !path.empty()) {
        fedpp::io::load_weights(path, model); // a failure ends the program with its message (run_program)
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
