// fedpp: differential privacy for federated training. Client-level DP-FedAvg
// (McMahan et al. 2018): clipping of each client's update (fixed, or
// adaptive per Andrew et al. 2021), Gaussian noise on the sum, the
// fixed-denominator estimators; and the RDP accountant of the
// Poisson-subsampled Gaussian mechanism that says what a run has spent.
#pragma once

#include "fedpp/privacy/adaptive_clipping.hpp"
#include "fedpp/privacy/clipping.hpp"
#include "fedpp/privacy/dp_conversion.hpp"
#include "fedpp/privacy/dp_estimator.hpp"
#include "fedpp/privacy/gaussian_noise.hpp"
#include "fedpp/privacy/log_space.hpp"
#include "fedpp/privacy/rdp.hpp"
#include "fedpp/privacy/rdp_accountant.hpp"
