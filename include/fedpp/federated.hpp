// fedpp: federated training over many clients: the FedAvg driver, its
// configuration, metrics, progress lines and CSV, and whether a saved run
// has ended (run_end). Includes fedpp.hpp.
#pragma once

#include "fedpp/federated/config.hpp"
#include "fedpp/federated/driver.hpp"
#include "fedpp/federated/metrics.hpp"
#include "fedpp/federated/reporting.hpp"
#include "fedpp/federated/run_end.hpp"
#include "fedpp/fedpp.hpp"
