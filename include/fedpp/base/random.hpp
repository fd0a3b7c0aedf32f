// fedpp: a seedable random number generator with reproducible draws.
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the
// standard distributions are not: libstdc++ and libc++ turn the same bits
// into different numbers. fedpp therefore derives its uniform and integer
// draws from the raw 64-bit output itself, so that a seed gives the same
// initial weights, partitions and batches with every compiler.
#pragma once

#include "fedpp/base/errors.hpp"

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace fedpp {

class Generator {
public:
    using result_type = std::uint64_t;

    explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}

    /// The next raw 64 bits (lets Generator serve as a URBG).
    result_type operator()() { return engine_(); }
    static constexpr result_type min() { return std::mt19937_64::min(); }
    static constexpr result_type max() { return std::mt19937_64::max(); }

    /// Uniform on [0, 1), with 53 random bits.
    double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    /// Uniform on [low, high).
    double uniform(double low, double high) { return low + (high - low) * uniform01(); }

    /// Uniform integer on [0, bound), without modulo bias: draws below
    /// 2^64 mod bound are rejected, so the rest divide evenly into bound.
    std::uint64_t below(std::uint64_t bound) {
        if (bound == 0) {
            throw ArgumentError("Generator::below(0): the range is empty");
        }
        const std::uint64_t rejected = (0 - bound) % bound; // 2^64 mod bound
        while (true) {
            const std::uint64_t x = engine_();
            if (x >= rejected) {
                return x % bound;
            }
        }
    }

    /// Standard normal draw (Box-Muller on two uniform01 draws).
    double normal() {
        double u1 = uniform01();
        while (u1 <= 0.0) {
            u1 = uniform01();
        }
        const double u2 = uniform01();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925286766559 * u2);
    }

    /// The full engine state as text (for checkpoints), and its inverse.
    [[nodiscard]] std::string state() const {
        std::ostringstream out;
        out << engine_;
        return out.str();
    }
    void set_state(const std::string& text) {
        std::istringstream in(text);
        std::mt19937_64 engine;
        in >> engine;
        if (!in) {
            throw ArgumentError("Generator::set_state: the text is not a saved generator state");
        }
        engine_ = engine;
    }

    friend bool operator==(const Generator& a, const Generator& b) { return a.engine_ == b.engine_; }

private:
    std::mt19937_64 engine_;
};

} // namespace fedpp

namespace fedpp::detail {

/// SplitMix64's finaliser: a well-mixed 64-bit value from any input (the
/// seeds of a run's streams, federated/seeds.hpp; the noise's, aggregation/
/// noise_seed.hpp).
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

} // namespace fedpp::detail
