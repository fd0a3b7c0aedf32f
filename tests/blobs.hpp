// Synthetic data for the driver's tests: Gaussian blobs around three
// centres in 4-D, labelled by centre, and a small MLP for them.
#pragma once

#include <fedpp/data/dataset.hpp>
#include <fedpp/nn/linear.hpp>
#include <fedpp/nn/sequential.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace synthetic {

/// n points, each around one of three centres (noise 0.8), labelled by it.
template <class T = float>
fedpp::data::Dataset<T> points(std::size_t n, std::uint64_t seed) {
    fedpp::Generator generator(seed);
    fedpp::Matrix<T> x(static_cast<fedpp::Index>(n), 4);
    std::vector<std::int32_t> y(n);
    const T centres[3][4] = {{2, 0, 0, 1}, {0, 2, 0, -1}, {0, 0, 2, 0}};
    for (std::size_t i = 0; i < n; ++i) {
        const auto label = static_cast<std::int32_t>(generator.below(3));
        y[i] = label;
        for (int j = 0; j < 4; ++j) {
            x(static_cast<fedpp::Index>(i), j) = centres[label][j] + T(0.8) * static_cast<T>(generator.normal());
        }
    }
    return fedpp::data::Dataset<T>(std::move(x), std::move(y), 3);
}

/// `clients` client data sets of unequal sizes (every 7th, from the 4th, empty).
template <class T = float>
std::vector<fedpp::data::Dataset<T>> client_sets(std::size_t clients, std::uint64_t seed) {
    std::vector<fedpp::data::Dataset<T>> sets;
    for (std::size_t k = 0; k < clients; ++k) {
        sets.push_back(points<T>(k % 7 == 3 ? 0 : 10 + 13 * (k % 5), seed + k));
    }
    return sets;
}

/// `clients` data sets of 8, 13, 18, ... points (seeds seed, seed + 1, ...):
/// the networked tests' clients.
template <class T = float>
std::vector<fedpp::data::Dataset<T>> growing_client_sets(std::size_t clients, std::uint64_t seed) {
    std::vector<fedpp::data::Dataset<T>> sets;
    for (std::size_t k = 0; k < clients; ++k) {
        sets.push_back(points<T>(8 + 5 * k, seed + k));
    }
    return sets;
}

/// 4-16-3 with a ReLU.
template <class T = float>
fedpp::nn::Sequential<T> small_mlp(std::uint64_t seed = 11) {
    fedpp::Generator generator(seed);
    return fedpp::nn::Sequential<T>(fedpp::nn::Linear<T>(4, 16, generator), fedpp::nn::ReLU{},
                                    fedpp::nn::Linear<T>(16, 3, generator));
}

} // namespace synthetic
