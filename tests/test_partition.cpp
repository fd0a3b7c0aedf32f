// Partitioners (IID, the FedAvg paper's shards, Dirichlet label skew), the
// Gamma and Dirichlet samplers under them, and split_every.
#include <fedpp/data/partition.hpp>
#include <fedpp/data/split.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <set>
#include <vector>

using fedpp::ArgumentError;
using fedpp::Generator;
using fedpp::Index;
using fedpp::data::partition_dirichlet;
using fedpp::data::partition_iid;
using fedpp::data::partition_shards;
using Partition = std::vector<std::vector<Index>>;

namespace {

/// Every index in [0, n) exactly once, and each part in increasing order.
void check_exact_cover(const Partition& parts, Index n) {
    std::vector<int> seen(static_cast<std::size_t>(n), 0);
    for (const auto& part : parts) {
        CHECK(std::is_sorted(part.begin(), part.end()));
        for (const Index i : part) {
            REQUIRE(i >= 0);
            REQUIRE(i < n);
            ++seen[static_cast<std::size_t>(i)];
        }
    }
    CHECK(std::all_of(seen.begin(), seen.end(), [](int count) { return count == 1; }));
}

/// `per_class` examples of each of `classes` labels, interleaved (not sorted).
std::vector<std::int32_t> balanced_labels(std::int32_t classes, Index per_class) {
    std::vector<std::int32_t> labels;
    for (Index i = 0; i < per_class; ++i) {
        for (std::int32_t c = 0; c < classes; ++c) {
            labels.push_back((c * 3 + static_cast<std::int32_t>(i)) % classes);
        }
    }
    return labels;
}

/// Size-weighted mean, over clients, of the total variation distance between
/// the client's label distribution and the uniform one: 0 for perfectly
/// balanced clients, approaching 1 - 1/classes when each holds one class.
double mean_label_skew(const Partition& parts, const std::vector<std::int32_t>& labels, std::int32_t classes) {
    double weighted = 0.0;
    double total = 0.0;
    for (const auto& part : parts) {
        if (part.empty()) {
            continue;
        }
        std::vector<double> counts(static_cast<std::size_t>(classes), 0.0);
        for (const Index i : part) {
            counts[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])] += 1.0;
        }
        double distance = 0.0;
        for (const double count : counts) {
            distance += std::abs(count / static_cast<double>(part.size()) - 1.0 / classes);
        }
        weighted += 0.5 * distance * static_cast<double>(part.size());
        total += static_cast<double>(part.size());
    }
    return weighted / total;
}

} // namespace

TEST_CASE("partition_iid: sizes within one, every example once", "[data][partition]") {
    Generator generator(1);
    const Partition parts = partition_iid(103, 10, generator);
    REQUIRE(parts.size() == 10);
    check_exact_cover(parts, 103);
    for (std::size_t c = 0; c < parts.size(); ++c) {
        CHECK(parts[c].size() == (c < 3 ? 11u : 10u));
    }

    SECTION("fewer examples than clients, and none") {
        const Partition few = partition_iid(3, 5, generator);
        check_exact_cover(few, 3);
        CHECK(few[0].size() == 1);
        CHECK(few[4].empty());
        const Partition none = partition_iid(0, 4, generator);
        REQUIRE(none.size() == 4);
        CHECK(std::all_of(none.begin(), none.end(), [](const auto& part) { return part.empty(); }));
    }
    SECTION("bad arguments") {
        CHECK_THROWS_AS(partition_iid(-1, 2, generator), ArgumentError);
        CHECK_THROWS_WITH(partition_iid(10, 0, generator),
                          "data::partition_iid: the number of clients must be positive, got 0");
        CHECK_THROWS_AS(partition_iid(10, -3, generator), ArgumentError);
    }
}

TEST_CASE("partition_iid: reproducible from the seed, on every compiler", "[data][partition]") {
    Generator a(42);
    Generator b(42);
    Generator c(43);
    const Partition first = partition_iid(1000, 7, a);
    CHECK(partition_iid(1000, 7, b) == first);
    CHECK(partition_iid(1000, 7, c) != first);
    CHECK(a == b); // the same number of draws

    // Pinned: only mt19937_64's standard output and Generator::below are
    // involved, so these are the same with any standard library. A change
    // here changes every experiment's split.
    Generator pinned(42);
    CHECK(partition_iid(10, 3, pinned) == Partition{{0, 1, 7, 9}, {3, 4, 8}, {2, 5, 6}});
}

TEST_CASE("partition_iid: each example is equally likely to go to each client", "[data][partition]") {
    Generator generator(7);
    constexpr int trials = 2000;
    std::vector<int> client_of_example_0(4, 0);
    for (int t = 0; t < trials; ++t) {
        const Partition parts = partition_iid(20, 4, generator);
        for (std::size_t c = 0; c < parts.size(); ++c) {
            client_of_example_0[c] += std::count(parts[c].begin(), parts[c].end(), Index{0}) > 0 ? 1 : 0;
        }
    }
    // Binomial(2000, 1/4): mean 500, standard deviation about 19.4.
    for (const int count : client_of_example_0) {
        CHECK(std::abs(count - trials / 4) < 80);
    }
}

TEST_CASE("partition_shards: the FedAvg paper's split on label-sorted shards", "[data][partition]") {
    // 10 classes of 60, interleaved; 20 clients x 2 shards of 15.
    const std::vector<std::int32_t> labels = balanced_labels(10, 60);
    Generator generator(3);
    const Partition parts = partition_shards(labels, 20, 2, generator);
    REQUIRE(parts.size() == 20);
    check_exact_cover(parts, 600);

    // Position of each example in the stable label order.
    std::vector<Index> order(labels.size());
    std::iota(order.begin(), order.end(), Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Index x, Index y) {
        return labels[static_cast<std::size_t>(x)] < labels[static_cast<std::size_t>(y)];
    });
    std::vector<Index> position(labels.size());
    for (std::size_t p = 0; p < order.size(); ++p) {
        position[static_cast<std::size_t>(order[p])] = static_cast<Index>(p);
    }

    std::set<Index> shards_used;
    for (const auto& part : parts) {
        REQUIRE(part.size() == 30);
        std::set<std::int32_t> client_labels;
        std::set<Index> client_shards;
        for (const Index i : part) {
            client_labels.insert(labels[static_cast<std::size_t>(i)]);
            client_shards.insert(position[static_cast<std::size_t>(i)] / 15);
        }
        // Class sizes are multiples of the shard size: one label per shard.
        CHECK(client_labels.size() <= 2);
        // Whole shards: two of them, 15 examples each.
        CHECK(client_shards.size() == 2);
        shards_used.insert(client_shards.begin(), client_shards.end());
    }
    CHECK(shards_used.size() == 40);

    SECTION("one shard each: one label each") {
        Generator g(5);
        const Partition one = partition_shards(labels, 10, 1, g);
        std::set<std::int32_t> first_labels;
        for (const auto& part : one) {
            std::set<std::int32_t> client_labels;
            for (const Index i : part) {
                client_labels.insert(labels[static_cast<std::size_t>(i)]);
            }
            CHECK(client_labels.size() == 1);
            first_labels.insert(*client_labels.begin());
        }
        CHECK(first_labels.size() == 10);
    }
}

TEST_CASE("partition_shards: reproducible, and clear errors", "[data][partition]") {
    const std::vector<std::int32_t> labels = balanced_labels(10, 60);
    Generator a(11);
    Generator b(11);
    Generator c(12);
    const Partition first = partition_shards(labels, 20, 2, a);
    CHECK(partition_shards(labels, 20, 2, b) == first);
    CHECK(partition_shards(labels, 20, 2, c) != first);

    // Pinned, as for partition_iid: labels 0 0 1 1 2 2 in 3 shards of 2.
    Generator pinned(42);
    CHECK(partition_shards(std::vector<std::int32_t>{2, 0, 1, 2, 1, 0}, 3, 1, pinned) ==
          Partition{{2, 4}, {0, 3}, {1, 5}});

    Generator g(1);
    std::vector<std::int32_t> one_more = labels;
    one_more.push_back(3);
    CHECK_THROWS_WITH(partition_shards(one_more, 20, 2, g),
                      "data::partition_shards: 601 examples do not divide into 40 equal shards (20 clients x 2); 1 "
                      "are left over. Drop them, or choose counts that divide 601");
    CHECK_THROWS_WITH(partition_shards(std::vector<std::int32_t>(10, 0), 4, 3, g),
                      "data::partition_shards: 10 examples cannot make 4 x 3 non-empty shards");
    CHECK_THROWS_AS(partition_shards(std::vector<std::int32_t>{}, 1, 1, g), ArgumentError);
    CHECK_THROWS_WITH(partition_shards(labels, 0, 2, g),
                      "data::partition_shards: the number of clients must be positive, got 0");
    CHECK_THROWS_WITH(partition_shards(labels, 20, -1, g),
                      "data::partition_shards: the number of shards per client must be positive, got -1");
}

TEST_CASE("Gamma draws: mean and variance equal the shape", "[data][partition][random]") {
    Generator generator(99);
    for (const double shape : {0.3, 1.0, 2.5, 40.0}) {
        constexpr int n = 40000;
        double sum = 0.0;
        double sum_squares = 0.0;
        for (int i = 0; i < n; ++i) {
            const double x = std::exp(fedpp::detail::log_gamma_draw(shape, generator));
            REQUIRE(x > 0.0);
            REQUIRE(std::isfinite(x));
            sum += x;
            sum_squares += x * x;
        }
        const double mean = sum / n;
        const double variance = sum_squares / n - mean * mean;
        INFO("shape " << shape << ": mean " << mean << ", variance " << variance);
        CHECK(std::abs(mean - shape) < 5.0 * std::sqrt(shape / n));
        CHECK(variance == Approx(shape).epsilon(0.1));
    }
}

TEST_CASE("Dirichlet draws: proportions that sum to one, even for tiny alpha", "[data][partition][random]") {
    Generator generator(5);
    for (const double alpha : {1e-310, 1e-6, 0.01, 0.5, 1.0, 100.0, 1e9}) {
        INFO("alpha " << alpha);
        const std::vector<double> p = fedpp::detail::dirichlet_draw(alpha, 10, generator);
        REQUIRE(p.size() == 10);
        CHECK(std::all_of(p.begin(), p.end(), [](double x) { return x >= 0.0 && x <= 1.0; }));
        CHECK(std::accumulate(p.begin(), p.end(), 0.0) == Approx(1.0).epsilon(1e-12));
    }
    // Tiny alpha: essentially all mass on one component; huge: near-uniform.
    const std::vector<double> tiny = fedpp::detail::dirichlet_draw(1e-6, 10, generator);
    CHECK(*std::max_element(tiny.begin(), tiny.end()) > 0.999);
    const std::vector<double> huge = fedpp::detail::dirichlet_draw(1e9, 10, generator);
    CHECK(*std::max_element(huge.begin(), huge.end()) == Approx(0.1).epsilon(1e-3));
}

TEST_CASE("partition_dirichlet: small alpha skews labels, large alpha does not", "[data][partition]") {
    const std::vector<std::int32_t> labels = balanced_labels(10, 500);
    Generator generator(2024);

    const Partition skewed = partition_dirichlet(labels, 10, 10, 0.1, generator);
    check_exact_cover(skewed, 5000);
    const Partition moderate = partition_dirichlet(labels, 10, 10, 1.0, generator);
    check_exact_cover(moderate, 5000);
    const Partition uniform = partition_dirichlet(labels, 10, 10, 1000.0, generator);
    check_exact_cover(uniform, 5000);

    const double skew_small = mean_label_skew(skewed, labels, 10);
    const double skew_moderate = mean_label_skew(moderate, labels, 10);
    const double skew_large = mean_label_skew(uniform, labels, 10);
    INFO("label skew: alpha 0.1: " << skew_small << ", 1: " << skew_moderate << ", 1000: " << skew_large);
    CHECK(skew_small > 0.5);
    CHECK(skew_moderate > skew_large);
    CHECK(skew_moderate < skew_small);
    CHECK(skew_large < 0.05);
    // Large alpha: sizes near 5000 / 10 as well.
    for (const auto& part : uniform) {
        CHECK(std::abs(static_cast<double>(part.size()) - 500.0) < 50.0);
    }
}

TEST_CASE("partition_dirichlet: tiny alpha gives each class to one client, and empty clients are allowed",
          "[data][partition]") {
    const std::vector<std::int32_t> labels = balanced_labels(4, 100);
    Generator generator(8);
    for (const double alpha : {1e-4, 1e-310}) {
        INFO("alpha " << alpha);
        const Partition parts = partition_dirichlet(labels, 4, 10, alpha, generator);
        check_exact_cover(parts, 400);
        // Four classes among ten clients: at least six get nothing.
        CHECK(std::count_if(parts.begin(), parts.end(), [](const auto& part) { return part.empty(); }) >= 6);
        for (const auto& part : parts) {
            std::set<std::int32_t> client_labels;
            for (const Index i : part) {
                client_labels.insert(labels[static_cast<std::size_t>(i)]);
            }
            CHECK(part.size() == 100 * client_labels.size()); // whole classes only
        }
    }
}

TEST_CASE("partition_dirichlet: reproducible, and clear errors", "[data][partition]") {
    const std::vector<std::int32_t> labels = balanced_labels(10, 50);
    Generator a(6);
    Generator b(6);
    Generator c(7);
    const Partition first = partition_dirichlet(labels, 10, 8, 0.5, a);
    CHECK(partition_dirichlet(labels, 10, 8, 0.5, b) == first);
    CHECK(partition_dirichlet(labels, 10, 8, 0.5, c) != first);
    CHECK(partition_dirichlet(std::vector<std::int32_t>{}, 3, 2, 1.0, c) == Partition(2));

    Generator g(1);
    for (const double alpha : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity()}) {
        INFO("alpha " << alpha);
        CHECK_THROWS_MATCHES(partition_dirichlet(labels, 10, 8, alpha, g), ArgumentError,
                             Catch::Message(
                                 "data::partition_dirichlet: alpha must be positive and finite, got " +
                                 std::to_string(alpha)));
    }
    CHECK_THROWS_WITH(partition_dirichlet(std::vector<std::int32_t>{0, 3, 1}, 3, 2, 1.0, g),
                      "data::partition_dirichlet: label 3 of example 1 is outside [0, 3)");
    CHECK_THROWS_WITH(partition_dirichlet(std::vector<std::int32_t>{0, 1, -1}, 3, 2, 1.0, g),
                      "data::partition_dirichlet: label -1 of example 2 is outside [0, 3)");
    CHECK_THROWS_AS(partition_dirichlet(labels, 0, 8, 1.0, g), ArgumentError);
    CHECK_THROWS_AS(partition_dirichlet(labels, 10, 0, 1.0, g), ArgumentError);
}

TEST_CASE("split_every: every k-th example held out, order kept", "[data][split]") {
    using Matrix = fedpp::Matrix<double>;
    const fedpp::data::Dataset<double> set(Matrix{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}},
                                           {0, 1, 2, 0, 1, 2, 0}, 3);

    const auto thirds = fedpp::data::split_every(set, 3);
    CHECK(thirds.test.features().col(0) == Eigen::Vector3d(0, 3, 6));
    CHECK(thirds.train.features().col(0) == Eigen::Vector4d(1, 2, 4, 5));
    CHECK(thirds.train.labels() == std::vector<std::int32_t>{1, 2, 1, 2});
    CHECK(thirds.test.class_count() == 3);

    const auto all_held_out = fedpp::data::split_every(set, 1);
    CHECK(all_held_out.test.size() == 7);
    CHECK(all_held_out.train.empty());
    CHECK(all_held_out.train.feature_count() == 2);

    const auto first_only = fedpp::data::split_every(set, 100);
    CHECK(first_only.test.size() == 1);
    CHECK(first_only.train.size() == 6);

    const auto of_nothing = fedpp::data::split_every(fedpp::data::Dataset<double>(Matrix(0, 2), {}, 3), 5);
    CHECK(of_nothing.test.empty());
    CHECK(of_nothing.train.empty());

    CHECK_THROWS_WITH(fedpp::data::split_every(set, 0),
                      "data::split_every: k must be at least 1 (every k-th example is held out), got 0");
}
