// Finite-difference gradient checking (in double precision), after Stan
// Math's expect_ad: for a function of several tensors, compare every
// gradient backward() computes with central differences of the function.
#pragma once

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace gradcheck {

using Matrix = fedpp::Matrix<double>;
using Function = std::function<fedpp::Tensor<double>(const std::vector<fedpp::Tensor<double>>&)>;

/// A fixed pseudo-random matrix with entries in [low, high).
inline Matrix random_matrix(fedpp::Index rows, fedpp::Index cols, std::uint64_t seed, double low = -1.0,
                            double high = 1.0) {
    fedpp::Generator generator(seed);
    Matrix m(rows, cols);
    for (fedpp::Index i = 0; i < m.size(); ++i) {
        m.data()[i] = generator.uniform(low, high);
    }
    return m;
}

/// Reduces f's output to a scalar with fixed random weights, so that every
/// output element contributes a different amount (a plain sum would hide
/// errors that swap or mix elements).
inline double objective(const Function& f, const std::vector<fedpp::Tensor<double>>& inputs, const Matrix& weights) {
    const fedpp::NoGradGuard values_only;
    const auto out = f(inputs);
    return (out.value().array() * weights.array()).sum();
}

/// Checks d objective / d input for every input and element against central
/// differences with step h; `tolerance` is relative to max(1, |gradient|).
inline void check(const std::string& name, const Function& f, const std::vector<Matrix>& values,
                  double h = 1e-6, double tolerance = 1e-7) {
    INFO("operation: " << name);
    std::vector<fedpp::Tensor<double>> inputs;
    for (const auto& v : values) {
        inputs.emplace_back(v, true);
    }
    const auto out = f(inputs);
    REQUIRE(out.requires_grad());
    const Matrix weights = random_matrix(out.rows(), out.cols(), 99);
    fedpp::mul(out, fedpp::Tensor<double>(weights)).sum().backward();

    for (std::size_t k = 0; k < inputs.size(); ++k) {
        REQUIRE(inputs[k].has_grad());
        const Matrix analytic = inputs[k].grad();
        REQUIRE(analytic.rows() == values[k].rows());
        REQUIRE(analytic.cols() == values[k].cols());
        for (fedpp::Index i = 0; i < values[k].size(); ++i) {
            std::vector<fedpp::Tensor<double>> plus;
            std::vector<fedpp::Tensor<double>> minus;
            for (std::size_t j = 0; j < values.size(); ++j) {
                Matrix p = values[j];
                Matrix m = values[j];
                if (j == k) {
                    p.data()[i] += h;
                    m.data()[i] -= h;
                }
                plus.emplace_back(p);
                minus.emplace_back(m);
            }
            const double numeric = (objective(f, plus, weights) - objective(f, minus, weights)) / (2 * h);
            const double a = analytic.data()[i];
            INFO("input " << k << ", element " << i << ": analytic " << a << ", numeric " << numeric);
            CHECK(std::abs(a - numeric) <= tolerance * std::max(1.0, std::abs(numeric)));
        }
    }
}

} // namespace gradcheck
