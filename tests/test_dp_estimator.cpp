// DP-FedAvg's estimators (fedpp/privacy/dp_estimator.hpp, McMahan et al.
// 2018): capped weights, the fixed denominator, the noised estimate, and its
// unbiasedness under Poisson sampling.
#include <fedpp/io/codecs.hpp>
#include <fedpp/nn/linear.hpp>
#include <fedpp/privacy/clipping.hpp>
#include <fedpp/privacy/dp_estimator.hpp>
#include <fedpp/privacy/gaussian_noise.hpp>
#include <fedpp/base/random.hpp>
#include <fedpp/io/codec.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

namespace privacy = fedpp::privacy;
using Matrix = fedpp::Matrix<double>;
using LinearD = fedpp::nn::Linear<double>;

TEST_CASE("McMahan et al.'s estimators: capped weights and the fixed denominator", "[privacy]") {
    const std::vector<std::size_t> counts{10, 50, 100, 200};
    CHECK(privacy::client_weights(privacy::Estimator::weighted, counts, 100) == std::vector<double>{0.1, 0.5, 1, 1});
    CHECK(privacy::client_weights(privacy::Estimator::unweighted, counts) == std::vector<double>{1, 1, 1, 1});
    CHECK_THROWS_AS(privacy::client_weights(privacy::Estimator::weighted, counts, 0), fedpp::ArgumentError);
    const std::vector<double> weights{0.1, 0.5, 1, 1};
    CHECK(privacy::fixed_denominator(0.1, weights) == Approx(0.26).epsilon(1e-15));
    CHECK_THROWS_AS(privacy::fixed_denominator(0.0, weights), fedpp::ArgumentError);
    CHECK_THROWS_AS(privacy::fixed_denominator(0.1, std::vector<double>{0.5, 1.5}), fedpp::ArgumentError);
    CHECK_THROWS_AS(privacy::fixed_denominator(0.1, std::vector<double>{0, 0}), fedpp::ArgumentError);

    // The estimate: (sum + noise) / denominator, the noise drawn as
    // add_gaussian_noise draws it.
    const LinearD sum(Matrix{{1, -2}}, Matrix{{4}});
    fedpp::Generator quiet(1);
    const LinearD plain = privacy::noised_estimate(sum, 0.0, 0.5, quiet);
    CHECK(plain.weight().value() == Matrix{{2, -4}});
    CHECK(plain.bias().value() == Matrix{{8}});
    fedpp::Generator a(6);
    fedpp::Generator b(6);
    const LinearD noised = privacy::noised_estimate(sum, 0.3, 0.5, a);
    LinearD by_hand = sum.copy();
    privacy::add_gaussian_noise(by_hand, 0.3, b);
    for (auto& p : by_hand.parameters()) {
        p.value() /= 0.5;
    }
    CHECK(fedpp::to_bytes(noised) == fedpp::to_bytes(by_hand));
    CHECK_THROWS_AS(privacy::noised_estimate(sum, 0.3, 0.0, a), fedpp::ArgumentError);
}

TEST_CASE("the fixed-denominator estimate is unbiased under Poisson sampling, noise included", "[privacy]") {
    // 40 clients with 1x1 updates (clipped to S = 1) and capped weights;
    // each trial samples every client with probability q = 0.25 and forms
    // (sum_k w_k Delta_k + N(0, (z S)^2)) / (q W). Its mean over the trials
    // must be the weighted average update sum_k w_k Delta_k / W, within five
    // standard errors estimated from the trials themselves.
    constexpr std::size_t clients = 40;
    constexpr double q = 0.25;
    constexpr double clip = 1.0;
    constexpr double z = 1.0;
    fedpp::Generator generator(21);
    std::vector<std::size_t> counts;
    std::vector<LinearD> updates;
    for (std::size_t k = 0; k < clients; ++k) {
        counts.push_back(1 + generator.below(300));
        updates.emplace_back(Matrix{{generator.uniform(-3, 3)}}, Matrix{{generator.uniform(-1, 1)}});
        privacy::clip_l2(updates.back(), clip);
    }
    const auto weights = privacy::client_weights(privacy::Estimator::weighted, counts, 150);
    const double denominator = privacy::fixed_denominator(q, weights);
    double truth = 0;
    double total_weight = 0;
    for (std::size_t k = 0; k < clients; ++k) {
        truth += weights[k] * updates[k].weight().value()(0, 0);
        total_weight += weights[k];
    }
    truth /= total_weight;
    constexpr int trials = 20'000;
    double sum = 0;
    double squares = 0;
    for (int trial = 0; trial < trials; ++trial) {
        LinearD round_sum(Matrix::Zero(1, 1), Matrix::Zero(1, 1));
        for (std::size_t k = 0; k < clients; ++k) {
            if (generator.uniform01() < q) {
                round_sum.weight().value() += weights[k] * updates[k].weight().value();
                round_sum.bias().value() += weights[k] * updates[k].bias().value();
            }
        }
        const double estimate =
            privacy::noised_estimate(round_sum, z * clip, denominator, generator).weight().value()(0, 0);
        sum += estimate;
        squares += estimate * estimate;
    }
    const double mean = sum / trials;
    const double standard_error = std::sqrt((squares / trials - mean * mean) / trials);
    CHECK(std::abs(mean - truth) <= 5 * standard_error);
    CHECK(standard_error < 0.01); // the check has teeth: truth is ~0.1-1 in size
}
