// Workloads 6 and 10: one round of the federated driver, on 1 and 2 threads
// (fedpp only: what matters is the speed-up of the second thread). See
// federated_round.cpp and cnn_round.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bench {

inline constexpr std::size_t federated_round_clients = 1000;
inline constexpr std::uint64_t federated_round_seed = 6;

/// Registers "federated_round/fedpp/threads:{1,2}" and the yardstick,
/// "federated_round/bare_training/threads:{1,2}".
void register_federated_round();

/// Workload 10 (cnn_round.cpp): "cnn_round/fedpp/threads:{1,2}", one round
/// of the FedAvg paper's MNIST CNN setting.
void register_cnn_round();

} // namespace bench
