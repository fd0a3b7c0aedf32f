// Client-level DP-FedAvg's clipping and noise (fedpp/privacy/clipping.hpp,
// gaussian_noise.hpp, adaptive_clipping.hpp): clipping bounds every update
// and leaves the others alone, the noise has the standard deviation asked
// for, adaptive clipping finds the target quantile. The estimators are in
// test_dp_estimator.cpp.
#include <fedpp/io/codecs.hpp>
#include <fedpp/nn/linear.hpp>
#include <fedpp/nn/sequential.hpp>
#include <fedpp/privacy/adaptive_clipping.hpp>
#include <fedpp/privacy/clipping.hpp>
#include <fedpp/privacy/gaussian_noise.hpp>
#include <fedpp/base/random.hpp>
#include <fedpp/io/codec.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <numbers>
#include <vector>

namespace privacy = fedpp::privacy;
using Matrix = fedpp::Matrix<double>;
using LinearD = fedpp::nn::Linear<double>;
using ModelF = fedpp::nn::Sequential<float>;

namespace {
ModelF small_model(fedpp::Generator& generator) {
    return ModelF(fedpp::nn::Linear<float>(20, 16, generator), fedpp::nn::ReLU{},
                  fedpp::nn::Linear<float>(16, 4, generator));
}

/// Every value of `model` multiplied by `factor`.
template <class M>
void scale(M& model, double factor) {
    using T = typename M::scalar_type;
    for (auto& p : model.parameters()) {
        p.value() *= static_cast<T>(factor);
    }
}

/// All parameter values of a model, in order, as doubles.
template <class M>
std::vector<double> values_of(const M& model) {
    std::vector<double> values;
    for (const auto& p : model.parameters()) {
        for (fedpp::Index i = 0; i < p.size(); ++i) {
            values.push_back(static_cast<double>(p.value().data()[i]));
        }
    }
    return values;
}

/// The standard normal distribution function.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
} // namespace

TEST_CASE("l2_norm is one norm over every parameter tensor, in double precision", "[privacy]") {
    const LinearD layer(Matrix{{3, 0}, {0, 0}}, Matrix{{4, 12}});
    CHECK(privacy::l2_norm(layer) == 13);
    fedpp::Generator generator(1);
    const ModelF model = small_model(generator);
    double squares = 0;
    for (const double v : values_of(model)) {
        squares += v * v;
    }
    CHECK(privacy::l2_norm(model) == Approx(std::sqrt(squares)).epsilon(1e-14));
    // Squares that overflow a double do not make the norm infinite.
    const LinearD huge(Matrix{{3e200, 0}}, Matrix{{4e200}});
    CHECK(privacy::l2_norm(huge) == Approx(5e200).epsilon(1e-15));
    const LinearD broken(Matrix{{std::numeric_limits<double>::quiet_NaN(), 1e200}}, Matrix{{1e200}});
    CHECK(std::isnan(privacy::l2_norm(broken)));
}

TEST_CASE("model_update is the trained model minus the global one", "[privacy]") {
    const LinearD global(Matrix{{1, 2}}, Matrix{{3}});
    const LinearD trained(Matrix{{1.5, 1}}, Matrix{{7}});
    const LinearD update = privacy::model_update(trained, global);
    CHECK(update.weight().value() == Matrix{{0.5, -1}});
    CHECK(update.bias().value() == Matrix{{4}});
    CHECK(trained.weight().value() == Matrix{{1.5, 1}}); // inputs untouched
    CHECK_THROWS_AS(privacy::model_update(LinearD(Matrix{{1, 2, 3}}, Matrix{{0}}), global), fedpp::ShapeError);
}

TEST_CASE("clipping: every clipped update's norm is at most the bound, the others are unchanged", "[privacy]") {
    // Updates with norms from 1e-3 to 1e3 (log-uniform) against the bound 1,
    // in float (where rounding the scaled values can push the norm back
    // above the bound) and in double.
    fedpp::Generator generator(2024);
    const double bound = 1.0;
    std::size_t clipped = 0;
    std::size_t unclipped = 0;
    for (int trial = 0; trial < 300; ++trial) {
        ModelF update = small_model(generator);
        scale(update, std::pow(10.0, generator.uniform(-3, 3)) / privacy::l2_norm(update));
        const ModelF before = update.copy();
        const double norm_before = privacy::l2_norm(update);
        const auto result = privacy::clip_l2(update, bound);
        CHECK(result.norm == norm_before);
        if (norm_before <= bound) {
            ++unclipped;
            CHECK_FALSE(result.clipped);
            CHECK(result.factor == 1);
            CHECK(fedpp::to_bytes(update) == fedpp::to_bytes(before)); // bit for bit
            continue;
        }
        ++clipped;
        CHECK(result.clipped);
        const double norm_after = privacy::l2_norm(update);
        CHECK(norm_after <= bound);
        CHECK(norm_after >= bound * (1 - 1e-6)); // clipped to the bound, not far below
        // The direction is kept: every value is the old one times the factor.
        const auto old_values = values_of(before);
        const auto new_values = values_of(update);
        double worst = 0;
        for (std::size_t i = 0; i < old_values.size(); ++i) {
            worst = std::max(worst, std::abs(new_values[i] - result.factor * old_values[i]));
        }
        CHECK(worst <= 1e-6 * bound);
    }
    CHECK(clipped > 100);
    CHECK(unclipped > 100);

    for (int trial = 0; trial < 100; ++trial) {
        LinearD update(5, 3, generator);
        scale(update, generator.uniform(1, 100));
        privacy::clip_l2(update, 0.25);
        CHECK(privacy::l2_norm(update) <= 0.25);
    }
}

TEST_CASE("clipping refuses a bad bound and a non-finite update, changing nothing", "[privacy]") {
    LinearD update(Matrix{{3, 4}}, Matrix{{0}});
    for (const double bound : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity()}) {
        CHECK_THROWS_AS(privacy::clip_l2(update, bound), fedpp::ArgumentError);
    }
    LinearD broken(Matrix{{std::numeric_limits<double>::infinity(), 4}}, Matrix{{0}});
    CHECK_THROWS_AS(privacy::clip_l2(broken, 1.0), fedpp::ArgumentError);
    CHECK(update.weight().value() == Matrix{{3, 4}});
    const auto result = privacy::clip_l2(update, 1.0);
    CHECK(result.factor == Approx(0.2).epsilon(1e-12));
    CHECK(update.weight().value()(0, 0) == Approx(0.6).epsilon(1e-12));
}

TEST_CASE("Gaussian noise: its empirical standard deviation is z * clip", "[privacy]") {
    // n = 200,000 draws. The sample standard deviation s of n normals has a
    // relative standard error of 1/sqrt(2n) = 0.16%, the mean a standard
    // error of sigma/sqrt(n), and the fraction within one sigma (0.6827) a
    // standard error of sqrt(p(1-p)/n) = 0.10%: each is checked to five
    // standard errors, so a correct sampler fails with probability ~1e-6
    // per check (and the seed is fixed), while a sampler off by 1% in
    // sigma, or one with the wrong shape, fails.
    const double z = 1.1;
    const double clip = 0.7;
    const double sigma = z * clip;
    LinearD model(Matrix::Zero(200, 999), Matrix::Zero(1, 200));
    fedpp::Generator generator(77);
    privacy::add_gaussian_noise(model, sigma, generator);
    const auto values = values_of(model);
    const auto n = static_cast<double>(values.size());
    REQUIRE(n == 200'000);
    double sum = 0;
    double within = 0;
    for (const double v : values) {
        sum += v;
        within += std::abs(v) <= sigma ? 1 : 0;
    }
    const double mean = sum / n;
    double squares = 0;
    for (const double v : values) {
        squares += (v - mean) * (v - mean);
    }
    const double s = std::sqrt(squares / (n - 1));
    CHECK(std::abs(mean) <= 5 * sigma / std::sqrt(n));
    CHECK(std::abs(s / sigma - 1) <= 5 / std::sqrt(2 * n));
    const double p = 2 * normal_cdf(1) - 1;
    CHECK(std::abs(within / n - p) <= 5 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("Gaussian noise is fixed by the generator's seed, and zero noise draws nothing", "[privacy]") {
    fedpp::Generator a(5);
    fedpp::Generator b(5);
    fedpp::Generator init(9);
    ModelF first = small_model(init);
    ModelF second = first.copy();
    const ModelF original = first.copy();
    privacy::add_gaussian_noise(first, 0.3, a);
    privacy::add_gaussian_noise(second, 0.3, b);
    CHECK(fedpp::to_bytes(first) == fedpp::to_bytes(second));
    CHECK(fedpp::to_bytes(first) != fedpp::to_bytes(original));
    const fedpp::Generator before = a;
    privacy::add_gaussian_noise(first, 0.0, a);
    CHECK(a == before);
    CHECK(fedpp::to_bytes(first) == fedpp::to_bytes(second));
    // The first value's draw is Generator::normal()'s from the same state.
    LinearD zero(Matrix::Zero(1, 1), Matrix::Zero(1, 1));
    fedpp::Generator c(31);
    fedpp::Generator d(31);
    privacy::add_gaussian_noise(zero, 1.0, c);
    CHECK(zero.weight().value()(0, 0) == d.normal());
    CHECK(zero.bias().value()(0, 0) != zero.weight().value()(0, 0));
    CHECK_THROWS_AS(privacy::add_gaussian_noise(first, -1.0, a), fedpp::ArgumentError);
    CHECK_THROWS_AS(privacy::add_gaussian_noise(first, std::numeric_limits<double>::quiet_NaN(), a),
                    fedpp::ArgumentError);
}

TEST_CASE("adaptive clipping: the geometric update and the noise split of Andrew et al.", "[privacy]") {
    // z = 0, no count noise: C <- C exp(-eta (b - gamma)), b = unclipped / m.
    fedpp::Generator generator(3);
    privacy::AdaptiveClipping exact(0.0, 10);
    CHECK(exact.norm() == 0.1);
    CHECK(exact.count_stddev() == 0);
    CHECK(exact.sum_stddev() == 0);
    CHECK(exact.unclipped(0.1));
    CHECK_FALSE(exact.unclipped(0.1000001));
    const fedpp::Generator untouched = generator;
    CHECK(exact.update(7, 10, generator) == Approx(0.7).epsilon(1e-15));
    CHECK(exact.norm() == Approx(0.1 * std::exp(-0.2 * (0.7 - 0.5))).epsilon(1e-15));
    CHECK(generator == untouched); // no noise, no draw
    // The fraction is clamped to [0, 1] (here 10 clients against m = 5).
    privacy::AdaptiveClipping busy(0.0, 5);
    CHECK(busy.update(10, 10, generator) == 1.0);
    CHECK(busy.norm() == Approx(0.1 * std::exp(-0.2 * 0.5)).epsilon(1e-15));
    CHECK_THROWS_AS(busy.update(3, 2, generator), fedpp::ArgumentError);

    // The split: z^-2 = z_sum^-2 + (2 sigma_b)^-2, sigma_b = m / 20 by default.
    privacy::AdaptiveClipping noisy(1.0, 100);
    CHECK(noisy.count_stddev() == 5);
    const double z_sum = noisy.sum_noise_multiplier();
    CHECK(z_sum > 1.0);
    CHECK(1 / (z_sum * z_sum) + 1 / (4 * 5.0 * 5.0) == Approx(1.0).epsilon(1e-14));
    CHECK(noisy.sum_stddev() == Approx(z_sum * 0.1).epsilon(1e-15));
    CHECK(privacy::adaptive_sum_noise_multiplier(1.0, 5.0) == z_sum);
    CHECK(privacy::adaptive_sum_noise_multiplier(0.0, 0.0) == 0);
    // Too few clients per round for the count's noise to be within z's
    // budget: sigma_b = 10 / 20 = 0.5 is not above z / 2.
    CHECK_THROWS_WITH(privacy::AdaptiveClipping(1.0, 10), Catch::Contains("must exceed z / 2"));
    privacy::AdaptiveClippingConfig bad;
    bad.target_quantile = 1.5;
    CHECK_THROWS_AS(privacy::AdaptiveClipping(1.0, 100, bad), fedpp::ArgumentError);
    bad = {};
    bad.initial_norm = 0;
    CHECK_THROWS_AS(privacy::AdaptiveClipping(1.0, 100, bad), fedpp::ArgumentError);
    CHECK_THROWS_AS(privacy::AdaptiveClipping(1.0, 0), fedpp::ArgumentError);
    CHECK_THROWS_AS(privacy::AdaptiveClipping(-1.0, 100), fedpp::ArgumentError);
}

TEST_CASE("adaptive clipping converges to the target quantile of the update norms", "[privacy]") {
    // Update norms ~ lognormal, median 2 (log-sd 0.5), 100 clients a round,
    // z = 1 (count noise sigma_b = 5), from Andrew et al.'s C0 = 0.1, a factor
    // of 20 (six log-sds) below the median. The tolerances: the noised
    // fraction has a standard deviation of about sqrt(gamma (1 - gamma) /
    // 100 + (5 / 100)^2) ~ 0.07 per round; log C then behaves as an AR(1)
    // process with gain eta F' ~ 0.16 (F' = the density of log-norms at the
    // quantile, ~0.8), standard deviation ~0.026, and its mean over the last
    // 200 rounds has a standard error of ~0.006, i.e. ~0.005 in F. The
    // checks allow 0.03 (six of those) on the mean and 0.1 on the last
    // round's clip alone.
    const double mu = std::log(2.0);
    const double s = 0.5;
    const auto cdf = [&](double c) { return normal_cdf((std::log(c) - mu) / s); };
    for (const double quantile : {0.5, 0.8}) {
        INFO("target quantile " << quantile);
        privacy::AdaptiveClippingConfig config;
        config.target_quantile = quantile;
        privacy::AdaptiveClipping clipping(1.0, 100, config);
        fedpp::Generator norms(11);
        fedpp::Generator noise(12);
        CHECK(cdf(clipping.norm()) < 1e-6); // far from the target at the start
        double log_sum = 0;
        double unclipped_sum = 0;
        constexpr int rounds = 600;
        for (int round = 0; round < rounds; ++round) {
            std::size_t unclipped = 0;
            for (int client = 0; client < 100; ++client) {
                unclipped += clipping.unclipped(std::exp(mu + s * norms.normal())) ? 1 : 0;
            }
            if (round >= rounds - 200) {
                log_sum += std::log(clipping.norm());
                unclipped_sum += static_cast<double>(unclipped) / 100;
            }
            clipping.update(unclipped, 100, noise);
        }
        CHECK(std::abs(cdf(std::exp(log_sum / 200)) - quantile) <= 0.03);
        CHECK(std::abs(unclipped_sum / 200 - quantile) <= 0.03);
        CHECK(std::abs(cdf(clipping.norm()) - quantile) <= 0.1);
    }
}

TEST_CASE("adaptive clipping state round-trips through bytes and continues identically", "[privacy]") {
    privacy::AdaptiveClipping clipping(0.8, 50);
    fedpp::Generator generator(4);
    clipping.update(30, 50, generator);
    clipping.update(10, 48, generator);
    auto restored = fedpp::from_bytes<privacy::AdaptiveClipping>(fedpp::to_bytes(clipping));
    CHECK(restored == clipping);
    CHECK(restored.norm() == clipping.norm());
    fedpp::Generator a(8);
    fedpp::Generator b(8);
    clipping.update(40, 50, a);
    restored.update(40, 50, b);
    CHECK(restored.norm() == clipping.norm());

    fedpp::Bytes bytes = fedpp::to_bytes(clipping);
    const double negative = -1.0;
    std::memcpy(bytes.data() + bytes.size() - 8, &negative, sizeof negative); // the clip norm
    CHECK_THROWS_WITH(fedpp::from_bytes<privacy::AdaptiveClipping>(bytes),
                      Catch::Contains("not a valid adaptive clipping state"));
}
