// fedpp: a data owner's share of distributed differential privacy's noise,
// added where its update is masked (SecureRound::mask; secure_steps.hpp's
// client_mask), so that neither the sum-only aggregator nor the model owner
// sees a noise-free sum.
#pragma once

#include <cstdint>

namespace fedpp::secagg {

/// N(0, stddev^2) per value, added to a data owner's update, at the data
/// owner, before it is weighted by mask()'s weight, encoded and masked (the
/// encoding's range must hold the update and 6 stddev); drawn from `seed`
/// mixed with the data owner's own secret where it has one (a party's
/// Policy::private_noise, on by default), so that the model owner, who
/// gives the seed, cannot recompute it (in one process: from `seed` alone).
/// stddev 0: no noise. The stddev is the caller's choice, unless a data
/// owner's policy sets a floor on it (Policy::mask_min_noise_multiplier
/// and mask_min_own_noise_multiplier, relative to its own
/// mask_max_clip_norm; README, "Secure aggregation").
struct MaskNoise {
    double stddev = 0;
    std::uint64_t seed = 0;
};

} // namespace fedpp::secagg
