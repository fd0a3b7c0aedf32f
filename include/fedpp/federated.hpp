// fedpp: federated training over many clients: the FedAvg driver, local
// training and evaluation, progress and CSV metrics. Includes fedpp.hpp.
#pragma once

#include "fedpp/fedpp.hpp"
#include "fedpp/federated/federated_averaging.hpp"
#include "fedpp/federated/local_training.hpp"
#include "fedpp/federated/metrics.hpp"
