// fedpp: Gaussian noise for the noised sum of DP-FedAvg.
//
//     fedpp::privacy::add_gaussian_noise(sum, z * clip, generator);
//
// Adds an independent N(0, stddev^2) draw to every parameter value of a
// model: parameter tensors in order, each tensor's values in storage
// order, drawn from a fedpp::Generator by Box-Muller on pairs of its 53-bit
// uniforms (u1, u2): sqrt(-2 log u1) cos(2 pi u2), as Generator::normal()
// draws, then its twin sqrt(-2 log u1) sin(2 pi u2) for the next value (an
// odd count's last twin is dropped), added in double precision and rounded
// once to the model's scalar type. The generator's seed therefore fixes the
// noise bit for bit on every standard library, and a run resumed from a
// checkpoint that holds the generator's state draws the same noise.
//
// What this noise is and is not. It is right for simulation and research:
// its distribution is the Gaussian the analysis assumes, up to
// floating-point resolution. It is NOT fit to protect real users:
//  - the generator is a seeded Mersenne Twister, not a cryptographically
//    secure source: anyone who learns the seed, or enough consecutive
//    outputs (624 words determine its state), can recompute the noise and
//    subtract it. A deployment needs a CSPRNG (the operating system's,
//    or a vetted DRBG), seeded from a secret, never logged or checkpointed
//    where an adversary can read it;
//  - floating-point samplers leak: Mironov (2012, "On Significance of the
//    Least Significant Bits for Differential Privacy") showed that the
//    pattern of representable values a textbook floating-point Laplace
//    sampler produces reveals the unnoised value, and the same concern
//    applies to Box-Muller Gaussians. A deployment should sample a discrete
//    Gaussian on a grid (Canonne, Kamath and Steinke 2020) with exact
//    arithmetic, or use a mitigation such as snapping, and account for
//    the discretisation;
//  - the draws are bounded: u1 >= 2^-53, so |N| <= sqrt(106 ln 2) = 8.57
//    standard deviations. An output beyond that bound of one input but
//    within it of its neighbour tells them apart, with a probability of
//    about P(N > 8.57 - 1/z) per round for noise z times the sensitivity
//    (2.5e-11 at z = 0.5, 2e-14 at z = 1), plus d P(N > 8.57) for d
//    values (5e-18 each); the delta the accountant reports does not include
//    it (over T rounds add T times that: below 1e-7 for T = 1000, z >= 0.5
//    and d up to 10^7, against a delta of 1e-5).
// The noise is added by the aggregator, which therefore sees the noise-free
// sum: this is central DP, protecting against those who see the model (the
// model owner, other clients, anyone the model is published to), not
// against the aggregator itself.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/random.hpp"
#include "fedpp/nn/module.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>

namespace fedpp::detail {

/// Two independent standard normals from two uniforms of `generator`: the
/// cosine half of Box-Muller (what Generator::normal() returns) and the sine
/// half, which normal() discards. Half the logarithms and square roots.
[[nodiscard]] inline std::pair<double, double> normal_pair(Generator& generator) {
    double u1 = generator.uniform01();
    while (u1 <= 0.0) {
        u1 = generator.uniform01();
    }
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2 * std::numbers::pi * generator.uniform01();
    return {radius * std::cos(angle), radius * std::sin(angle)};
}

} // namespace fedpp::detail

namespace fedpp::privacy {

/// Adds N(0, stddev^2) to every parameter value of `model` (see the file
/// comment). stddev = 0 adds nothing and draws nothing. ArgumentError if
/// stddev is negative or not finite.
template <nn::Model M>
void add_gaussian_noise(M& model, double stddev, Generator& generator) {
    if (!(stddev >= 0 && std::isfinite(stddev))) {
        throw ArgumentError("privacy::add_gaussian_noise: the standard deviation must be finite and >= 0, got " +
                            std::to_string(stddev));
    }
    if (stddev == 0) {
        return;
    }
    using T = typename M::scalar_type;
    bool have_twin = false;
    double twin = 0;
    for (auto& p : model.parameters()) {
        T* values = p.value().data();
        const Index size = p.size();
        for (Index i = 0; i < size; ++i) {
            double draw = twin;
            if (!have_twin) {
                std::tie(draw, twin) = detail::normal_pair(generator);
            }
            have_twin = !have_twin;
            values[i] = static_cast<T>(static_cast<double>(values[i]) + stddev * draw);
        }
    }
}

} // namespace fedpp::privacy
