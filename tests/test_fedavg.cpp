// fedavg: values, weights, errors, inputs left untouched, memory.
#include "heap.hpp"
#include "parties.hpp"
#include "skip.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <utility>
#include <limits>
#include <span>
#include <vector>

using fedpp::Tensor;
using Linear = fedpp::nn::Linear<double>;
using Matrix = fedpp::Matrix<double>;

namespace {
Linear layer(double w0, double w1, double b) { return Linear(Matrix{{w0, w1}}, Matrix{{b}}); }
} // namespace

TEST_CASE("fedavg of a pack: the plain average, at the trusted worker, inputs untouched", "[fedavg]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    auto a = owners.contribute(layer(1, 2, 3), secure);
    auto b = owners.contribute(layer(3, 4, 5), secure);
    auto c = owners.contribute(layer(5, 0, -2), secure);
    const auto a_before = fedpp::to_bytes(layer(1, 2, 3));

    auto average = fedpp::fedavg(a, b, c);
    static_assert(std::is_same_v<decltype(average), fedpp::Pointer<fedpp::Aggregate<Linear>, Secure>>);
    CHECK(average.worker_name() == "secure_worker");
    CHECK(secure.object_count() == 4); // the inputs stay, plus the average
    // The input is as it was (taken back here with the explicit escape hatch).
    CHECK(fedpp::to_bytes(fedpp::declassify<"test: fedavg leaves its inputs untouched">(a)) == a_before);

    const fedpp::Aggregate<Linear> aggregate = average.get();
    CHECK(aggregate.contributions() == 3);
    const Linear& result = aggregate.model();
    CHECK(result.weight().value()(0, 0) == 3);
    CHECK(result.weight().value()(0, 1) == 2);
    CHECK(result.bias().value()(0, 0) == 2);
    CHECK(result.weight().requires_grad());
}

TEST_CASE("fedavg of a range, unweighted and weighted by example counts", "[fedavg]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    std::vector<fedpp::Pointer<Linear, Secure>> models;
    models.push_back(owners.contribute(layer(0, 0, 0), secure));
    models.push_back(owners.contribute(layer(4, 8, 12), secure));
    models.push_back(owners.contribute(layer(8, 16, 24), secure));

    CHECK(fedpp::fedavg(models).get().model().weight().value()(0, 1) == 8);
    const std::vector<int> counts{3, 1, 0};
    const Linear weighted = fedpp::fedavg(models, counts).get();
    CHECK(weighted.weight().value()(0, 0) == 1);
    CHECK(weighted.bias().value()(0, 0) == 3);
    const std::vector<double> not_first{0.0, 2.5, 2.5};
    CHECK(fedpp::fedavg(models, not_first).get().model().weight().value()(0, 1) == 12);
    CHECK(secure.object_count() == 3);
}

TEST_CASE("fedavg averages tensors and Sequential models too", "[fedavg]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    auto x = owners.contribute(Tensor<float>{{1, 2}}, secure);
    auto y = owners.contribute(Tensor<float>{{3, 6}}, secure);
    CHECK(fedpp::fedavg(x, y).get().model().value()(0, 1) == 4.0f);

    fedpp::Generator g1(1);
    fedpp::Generator g2(2);
    fedpp::nn::Sequential<float> m1(fedpp::nn::Linear<float>(3, 2, g1), fedpp::nn::ReLU{});
    fedpp::nn::Sequential<float> m2(fedpp::nn::Linear<float>(3, 2, g2), fedpp::nn::ReLU{});
    const fedpp::Matrix<float> expected =
        (m1.parameters()[0].value() + m2.parameters()[0].value()) / 2.0f;
    auto p1 = owners.contribute(m1, secure);
    auto p2 = owners.contribute(m2, secure);
    CHECK(fedpp::fedavg(p1, p2).get().model().parameters()[0].value() == expected);
}

namespace {
/// A value of model m at index i, small integers so that sums are exact.
float test_value(fedpp::Index i, int m) { return static_cast<float>((i * (m + 3)) % 97) - 40.0f; }
} // namespace

TEST_CASE("fedavg of parameters longer than its blocks: each element is its weighted average", "[fedavg]") {
    // fedavg sums a parameter block by block, its blocking measured on the
    // first parameter of at least 4 level-2 blocks over at least 8 models:
    // 4.5 blocks and a ragged end, over 8 models, go through that
    // measurement (or the blocking measured before), every block and the
    // tail summed whole.
    const fedpp::Index block = fedpp::detail::level2_block_elements<float>();
    REQUIRE(block >= 8 * 1024); // 32 KiB at least
    REQUIRE(block <= 256 * 1024);
    REQUIRE(block % 64 == 0);
    const fedpp::Index size = 4 * block + block / 2 + 7;
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    const std::vector<double> weights{1.0, 3.0, 0.5, 2.0, 1.0, 1.0, 4.0, 0.5};
    std::vector<fedpp::Pointer<Tensor<float>, Secure>> models;
    for (int m = 0; m < 8; ++m) {
        fedpp::Matrix<float> values(size, 1);
        for (fedpp::Index i = 0; i < size; ++i) {
            values(i, 0) = test_value(i, m);
        }
        models.push_back(owners.contribute(Tensor<float>(std::move(values)), secure));
    }
    const fedpp::Matrix<float> average = fedpp::fedavg(models, weights).get().model().value();
    REQUIRE(average.rows() == size);
    CHECK(fedpp::detail::measured_blocking<float>().load() >= 0);
    fedpp::Index wrong = 0;
    for (fedpp::Index i = 0; i < size; ++i) {
        double expected = 0;
        for (int m = 0; m < 8; ++m) {
            expected += weights[m] * static_cast<double>(test_value(i, m));
        }
        expected /= 13.0;
        wrong += std::abs(average(i, 0) - expected) > 1e-5 * (1 + std::abs(expected)) ? 1 : 0;
    }
    CHECK(wrong == 0);
}

namespace {
/// Both blockings over the same `model_count` models (the first, then
/// passes of models_per_pass, then those left over), weighted or not: their
/// averages, each also checked against the average computed in double
/// precision.
template <class T>
std::pair<fedpp::Matrix<T>, fedpp::Matrix<T>> both_blockings(int model_count, bool weighted) {
    using fedpp::detail::SumBlocking;
    const fedpp::Index size = 2 * fedpp::detail::level2_block_elements<T>() + 1001;
    std::vector<std::vector<Tensor<T>>> params;
    std::vector<double> all_weights;
    for (int m = 0; m < model_count; ++m) {
        fedpp::Matrix<T> values(size, 1);
        for (fedpp::Index i = 0; i < size; ++i) {
            values(i, 0) = static_cast<T>(std::sin(0.001 * static_cast<double>(i * (m + 1))) / 3.0);
        }
        params.push_back({Tensor<T>(std::move(values))});
        all_weights.push_back(0.1 + 0.35 * (m % 5));
    }
    const std::span<const double> weights = weighted ? std::span<const double>(all_weights) : std::span<const double>();
    double total = 0;
    for (const double w : all_weights) {
        total += weighted ? w : 1.0;
    }
    fedpp::Matrix<T> by_level1 = params[0][0].value();
    fedpp::Matrix<T> by_level2 = params[0][0].value();
    REQUIRE(fedpp::detail::blockings_agree(by_level1.data())); // Eigen's allocation
    REQUIRE(fedpp::detail::blockings_agree(by_level2.data()));
    const fedpp::detail::ParameterSum<T> level1{by_level1.data(), &params, 0, weights, total};
    const fedpp::detail::ParameterSum<T> level2{by_level2.data(), &params, 0, weights, total};
    CHECK(fedpp::detail::sum_range(level1, 0, size, SumBlocking::level1_prefetched));
    CHECK(fedpp::detail::sum_range(level2, 0, size, SumBlocking::level2));
    fedpp::Index wrong = 0;
    for (fedpp::Index i = 0; i < size; ++i) {
        double expected = 0;
        for (int m = 0; m < model_count; ++m) {
            expected += (weighted ? all_weights[m] : 1.0) * static_cast<double>(params[m][0].value()(i, 0));
        }
        expected /= total;
        wrong += std::abs(static_cast<double>(by_level2(i, 0)) - expected) > 1e-5 ? 1 : 0;
    }
    CHECK(wrong == 0);
    return {std::move(by_level1), std::move(by_level2)};
}
} // namespace

TEST_CASE("fedavg's two blockings give bitwise the same average", "[fedavg]") {
    // Whichever blocking a process measures as faster, the average is the
    // same bits: processes that measured differently agree. 2, 5, 7 and 10
    // models: none, one or two passes of 4, with 0, 2 or 1 left over.
    static_assert(fedpp::detail::models_per_pass == 4);
    for (const int model_count : {2, 5, 7, 10}) {
        for (const bool weighted : {true, false}) {
            CAPTURE(model_count, weighted);
            const auto [float_1, float_2] = both_blockings<float>(model_count, weighted);
            CHECK(std::memcmp(float_1.data(), float_2.data(), sizeof(float) * float_1.size()) == 0);
            CHECK(std::abs(float_1(float_1.rows() - 1, 0)) > 0);
            const auto [double_1, double_2] = both_blockings<double>(model_count, weighted);
            CHECK(std::memcmp(double_1.data(), double_2.data(), sizeof(double) * double_1.size()) == 0);
            // A sum that is not on a SIMD packet's boundary is never given to
            // the measured blocking.
            if (Eigen::internal::packet_traits<float>::size > 1) {
                CHECK_FALSE(fedpp::detail::blockings_agree(float_1.data() + 1));
            }
        }
    }
}

TEST_CASE("cache sizes as the system reports them", "[fedavg]") {
    using fedpp::detail::parse_cache_size;
    CHECK(parse_cache_size("2048K\n") == 2048u * 1024);
    CHECK(parse_cache_size("1M") == 1024u * 1024);
    CHECK(parse_cache_size("32768") == 32768u);
    CHECK(parse_cache_size("") == 0);
    CHECK(parse_cache_size("K") == 0);
    CHECK(parse_cache_size("12Q") == 0);
    CHECK(parse_cache_size("99999999999999999999999K") == 0);
}

TEST_CASE("an aggregate combines at least two data owners with a positive weight", "[fedavg][privacy]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    std::vector<fedpp::Pointer<Linear, Secure>> one;
    one.push_back(owners.contribute(layer(1, 2, 3), secure));
    // One model is no average: it would be that data owner's model.
    CHECK_THROWS_AS(fedpp::fedavg(one), fedpp::InsufficientContributionsError);
    CHECK_THROWS_AS(fedpp::fedavg(one[0]), fedpp::InsufficientContributionsError);
    CHECK_THROWS_WITH(fedpp::fedavg(one), Catch::Contains("1 data owner contributed with a positive weight"));

    std::vector<fedpp::Pointer<Linear, Secure>> both;
    both.push_back(owners.contribute(layer(1, 2, 3), secure));
    both.push_back(owners.contribute(layer(5, 6, 7), secure));
    // A weight of zero does not count.
    CHECK_THROWS_AS(fedpp::fedavg(both, std::vector<double>{1, 0}), fedpp::InsufficientContributionsError);
    CHECK_THROWS_AS(fedpp::fedavg(both, std::vector<double>{0, 3}), fedpp::InsufficientContributionsError);
    // The same model twice is not two contributions.
    CHECK_THROWS_WITH(fedpp::fedavg(both[0], both[0]), Catch::Contains("the same model is given twice"));
    // The model owner's own values are no part of an aggregate: +V and -V
    // would cancel Alice's model out of the sum ((a + V) rounds to V, then
    // V - V = 0), leaving Bob's.
    auto mine = fedpp::send(layer(0, 0, 0), secure);
    CHECK_THROWS_AS(fedpp::fedavg(both[0], mine), fedpp::PermissionDeniedError);
    auto plus = fedpp::send(layer(0x1p100, 0x1p100, 0x1p100), secure);
    auto minus = fedpp::send(layer(-0x1p100, -0x1p100, -0x1p100), secure);
    CHECK_THROWS_WITH(fedpp::fedavg(both[1], plus, minus, both[0]),
                      Catch::Contains("model 1 is not a data owner's contribution"));
    // Two copies made at one data owner are still one data owner.
    fedpp::Worker<Client> carol(hook, "carol");
    auto at_carol = fedpp::send(layer(9, 9, 9), carol);
    auto second_copy = at_carol.copy();
    auto first_at_secure = at_carol.move(secure);
    auto second_at_secure = second_copy.move(secure);
    CHECK_THROWS_AS(fedpp::fedavg(first_at_secure, second_at_secure), fedpp::InsufficientContributionsError);
    // Two data owners with positive weights: an aggregate of two.
    CHECK(fedpp::fedavg(both, std::vector<double>{1, 3}).get().contributions() == 2);
    // A location can ask for more.
    using Strict = fedpp::TrustedAggregator<"strict", 3>;
    fedpp::Worker<Strict> strict(hook);
    auto s1 = owners.contribute(layer(1, 1, 1), strict);
    auto s2 = owners.contribute(layer(2, 2, 2), strict);
    CHECK_THROWS_AS(fedpp::fedavg(s1, s2), fedpp::InsufficientContributionsError);
    auto s3 = owners.contribute(layer(3, 3, 3), strict);
    CHECK(fedpp::fedavg(s1, s2, s3).get().contributions() == 3);
}

TEST_CASE("fedavg rejects bad input with clear errors", "[fedavg]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    std::vector<fedpp::Pointer<Linear, Secure>> none;
    CHECK_THROWS_WITH(fedpp::fedavg(none), Catch::Contains("no models to aggregate"));
    CHECK_THROWS_AS(fedpp::fedavg(none, std::vector<double>{}), fedpp::AggregationError);

    Contributors owners(hook);
    std::vector<fedpp::Pointer<Linear, Secure>> models;
    models.push_back(owners.contribute(layer(1, 1, 1), secure));
    models.push_back(owners.contribute(layer(2, 2, 2), secure));
    fedpp::Pointer<Linear, Secure> spent;

    SECTION("weights") {
        CHECK_THROWS_WITH(fedpp::fedavg(models, std::vector<double>{1}), Catch::Contains("1 weights for 2 models"));
        CHECK_THROWS_WITH(fedpp::fedavg(models, std::vector<double>{0, 0}), Catch::Contains("add up to zero"));
        CHECK_THROWS_WITH(fedpp::fedavg(models, std::vector<double>{1, -1}), Catch::Contains("finite and >= 0"));
        CHECK_THROWS_AS(fedpp::fedavg(models, std::vector<double>{1, std::nan("")}), fedpp::AggregationError);
        CHECK_THROWS_AS(fedpp::fedavg(models, std::vector<double>{1, std::numeric_limits<double>::infinity()}),
                        fedpp::AggregationError);
    }
    SECTION("shapes") {
        models.push_back(owners.contribute(Linear(Matrix{{1, 2, 3}}, Matrix{{1}}), secure));
        CHECK_THROWS_WITH(fedpp::fedavg(models),
                          Catch::Contains("parameter 0 of model 2 is 1x3, expected 1x2"));
    }
    SECTION("different layer counts") {
        fedpp::Federation other;
        fedpp::Worker<Secure> agg(other);
        Contributors others(other);
        fedpp::Generator g(1);
        auto a = others.contribute(fedpp::nn::Sequential<float>(fedpp::nn::Linear<float>(2, 2, g)), agg);
        auto b = others.contribute(fedpp::nn::Sequential<float>(fedpp::nn::Linear<float>(2, 2, g), fedpp::nn::ReLU{},
                                                                fedpp::nn::Linear<float>(2, 2, g)),
                                   agg);
        CHECK_THROWS_WITH(fedpp::fedavg(a, b), Catch::Contains("model 1 has 4 parameter tensors, expected 2"));
    }
    SECTION("non-finite values") {
        models.push_back(owners.contribute(layer(1, std::nan(""), 1), secure));
        CHECK_THROWS_WITH(fedpp::fedavg(models), Catch::Contains("parameter 0 of model 2 holds NaN or infinite"));
        models.back() = owners.contribute(layer(1, 1, std::numeric_limits<double>::infinity()), secure);
        CHECK_THROWS_WITH(fedpp::fedavg(models), Catch::Contains("parameter 1 of model 2 holds NaN or infinite"));
        // A zero weight does not excuse an infinite value.
        CHECK_THROWS_AS(fedpp::fedavg(models, std::vector<double>{1, 1, 0}), fedpp::AggregationError);
    }
    SECTION("a spent pointer") {
        spent = std::move(models[1]);
        CHECK_THROWS_AS(fedpp::fedavg(models), fedpp::InvalidPointerError);
    }
    // No failed fedavg stored a result: the worker holds the inputs only.
    std::size_t live = spent.valid() ? 1 : 0;
    for (const auto& model : models) {
        live += model.valid() ? 1 : 0;
    }
    CHECK(secure.object_count() == live);
}

TEST_CASE("fedavg needs memory for one model beyond its inputs, whatever their number", "[fedavg][memory]") {
    // Eight 16 MiB tensors at the aggregator; the peak resident size during
    // fedavg may grow by the result (16 MiB) and some slack, not by a copy
    // per input (8 x 16 MiB).
    constexpr fedpp::Index elements = 4 * 1024 * 1024;
    constexpr std::size_t model_bytes = elements * sizeof(float);
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    std::vector<fedpp::Pointer<Tensor<float>, Secure>> models;
    for (int i = 0; i < 8; ++i) {
        models.push_back(owners.contribute(Tensor<float>::full(1, elements, float(i)), secure));
    }
    if (!reset_peak_rss()) {
        FEDPP_SKIP("cannot reset the peak RSS here (/proc/self/clear_refs), so the peak cannot be measured");
    }
    const std::size_t before = proc_status_bytes("VmRSS");
    auto average = fedpp::fedavg(models);
    const std::size_t peak = proc_status_bytes("VmHWM");
    INFO("resident before " << before << " bytes, peak during fedavg " << peak);
    CHECK(peak - before < 2 * model_bytes);
    CHECK(fedpp::fedavg(models, std::vector<int>(8, 1)).valid());
    CHECK(average.get().model().value()(0, 12345) == 3.5f);
}

TEMPLATE_TEST_CASE("the finiteness check finds a NaN or an infinity wherever it is, and nothing else", "[fedavg]", float,
                   double) {
    // Every length up to past four packets of the widest ISA and beyond,
    // so that each of the check's loops (four sums, one sum, the scalar
    // rest) holds the bad value in some case; the extremes of the finite
    // values pass.
    constexpr TestType nan = std::numeric_limits<TestType>::quiet_NaN();
    constexpr TestType inf = std::numeric_limits<TestType>::infinity();
    constexpr TestType largest = std::numeric_limits<TestType>::max();
    constexpr TestType tiny = std::numeric_limits<TestType>::denorm_min();
    for (const fedpp::Index count : {0, 1, 3, 7, 8, 15, 16, 17, 31, 63, 64, 65, 127, 130, 1000}) {
        std::vector<TestType> values(static_cast<std::size_t>(count));
        for (fedpp::Index i = 0; i < count; ++i) {
            values[static_cast<std::size_t>(i)] = (i % 3 == 0 ? -largest : i % 3 == 1 ? largest : -tiny);
        }
        CHECK(fedpp::detail::all_finite(values.data(), count));
        for (fedpp::Index at = 0; at < count; ++at) {
            for (const TestType bad : {nan, -nan, inf, -inf}) {
                const TestType kept = std::exchange(values[static_cast<std::size_t>(at)], bad);
                INFO("length " << count << ", position " << at << ", value " << bad);
                CHECK_FALSE(fedpp::detail::all_finite(values.data(), count));
                values[static_cast<std::size_t>(at)] = kept;
            }
        }
    }
}
