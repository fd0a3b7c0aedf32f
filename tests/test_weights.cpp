// Weights of any finite magnitude (issue 9, item 7): fedavg, WeightedSum and
// accumulate normalise them in double before they meet float, so a weight
// beyond float's range (1e39, 1e-50) neither turns into NaN nor is refused.
#include "parties.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

using fedpp::Tensor;
using Row = Eigen::Matrix<float, 1, Eigen::Dynamic>;

namespace {

Tensor<float> row(std::initializer_list<float> values) {
    Row m(static_cast<fedpp::Index>(values.size()));
    std::copy(values.begin(), values.end(), m.data());
    return Tensor<float>(fedpp::Matrix<float>(m));
}

/// sum_i (w_i / sum_k w_k) m_i in double, the weights first divided by the
/// largest power of two below their maximum so that nothing overflows.
std::vector<double> exact_average(const std::vector<Tensor<float>>& models, const std::vector<double>& weights) {
    const double largest = *std::max_element(weights.begin(), weights.end());
    const int exponent = std::ilogb(largest);
    double total = 0;
    for (const double w : weights) {
        total += std::ldexp(w, -exponent);
    }
    std::vector<double> average(static_cast<std::size_t>(models[0].size()), 0.0);
    for (std::size_t i = 0; i < models.size(); ++i) {
        const double share = std::ldexp(weights[i], -exponent) / total;
        for (std::size_t j = 0; j < average.size(); ++j) {
            average[j] += share * double(models[i].value().data()[j]);
        }
    }
    return average;
}

void check_close(const Tensor<float>& result, const std::vector<double>& expected) {
    REQUIRE(result.size() == fedpp::Index(expected.size()));
    for (std::size_t j = 0; j < expected.size(); ++j) {
        INFO("element " << j);
        CHECK(std::isfinite(result.value().data()[j]));
        CHECK(double(result.value().data()[j]) == Approx(expected[j]).margin(1e-6).epsilon(1e-5));
    }
}

} // namespace

TEST_CASE("weights beyond float's range give the average, not NaN or a wrong error", "[aggregation][weights]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    const std::vector<Tensor<float>> models{row({1, 2, 4}), row({3, 6, 8})};
    for (const double weight : {1e39, 1e-50, 1e300, 1e-300, 5e-324}) {
        INFO("weight " << weight);
        fedpp::WeightedSum<Tensor<float>> local(models[0]);
        local.add(models[0], weight);
        local.add(models[1], weight);
        check_close(local.average(), {2, 4, 6});

        auto sum = fedpp::send(fedpp::WeightedSum<Tensor<float>>(models[0]), secure);
        fedpp::accumulate(sum, owners.contribute(models[0], secure), weight);
        fedpp::accumulate(sum, owners.contribute(models[1], secure), 3 * weight);
        check_close(fedpp::average_of(sum).get().model(), {2.5, 5, 7});

        std::vector<fedpp::Pointer<Tensor<float>, Secure>> pointers;
        pointers.push_back(owners.contribute(models[0], secure));
        pointers.push_back(owners.contribute(models[1], secure));
        check_close(fedpp::fedavg(pointers, std::vector<double>{weight, weight}).get().model(), {2, 4, 6});
    }
    // Two weights whose sum overflows double, and weights 600 orders of
    // magnitude apart (the small one's share rounds to zero, rightly).
    fedpp::WeightedSum<Tensor<float>> huge(models[0]);
    huge.add(models[0], 1.5e308);
    huge.add(models[1], 1.5e308);
    check_close(huge.average(), {2, 4, 6});
    fedpp::WeightedSum<Tensor<float>> apart(models[0]);
    apart.add(models[0], 1e-300);
    apart.add(models[1], 1e300);
    check_close(apart.average(), {3, 6, 8});
    // Sums kept at different scales merge into the right average.
    fedpp::WeightedSum<Tensor<float>> small(models[0]);
    small.add(models[0], 1e-50);
    apart.merge(small);
    huge.merge(small);
    check_close(huge.average(), {2, 4, 6});
    check_close(fedpp::from_bytes<fedpp::WeightedSum<Tensor<float>>>(fedpp::to_bytes(huge)).average(), {2, 4, 6});
    CHECK(huge.total_weight() == std::numeric_limits<double>::infinity()); // 3e308, as a double
    CHECK(small.total_weight() == 1e-50);
}

TEST_CASE("property: any finite weights in 1e-300..1e300 give the exactly normalised average",
          "[aggregation][weights][property]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    std::mt19937_64 random(20240907);
    std::uniform_real_distribution<double> exponent(-300, 300);
    std::uniform_real_distribution<float> value(-1, 1);
    std::uniform_int_distribution<int> count(2, 6);
    for (int trial = 0; trial < 200; ++trial) {
        const int n = count(random);
        std::vector<Tensor<float>> models;
        std::vector<double> weights;
        for (int i = 0; i < n; ++i) {
            Row m(5);
            for (auto& x : m.reshaped()) {
                x = value(random);
            }
            models.emplace_back(fedpp::Matrix<float>(m));
            weights.push_back(trial % 7 == 0 && i == 0 ? 0.0 : std::pow(10.0, exponent(random)));
        }
        INFO("trial " << trial);
        const auto expected = exact_average(models, weights);

        std::vector<fedpp::Pointer<Tensor<float>, Secure>> pointers;
        auto sum = fedpp::send(fedpp::WeightedSum<Tensor<float>>(models[0]), secure);
        for (int i = 0; i < n; ++i) {
            pointers.push_back(owners.contribute(models[std::size_t(i)], secure));
            fedpp::accumulate(sum, owners.contribute(models[std::size_t(i)], secure), weights[std::size_t(i)]);
        }
        // Fewer than two positive weights is the one legal refusal: not
        // enough data owners in the aggregate.
        try {
            check_close(fedpp::fedavg(pointers, weights).get().model(), expected);
            check_close(fedpp::average_of(sum).get().model(), expected);
        } catch (const fedpp::InsufficientContributionsError&) {
            CHECK(std::count_if(weights.begin(), weights.end(), [](double w) { return w > 0; }) < 2);
        }
    }
}
