// Secure aggregation: whole sessions, with dropouts at every stage.
#include "secure_aggregation_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

using namespace fedpp;
using namespace fedpp::secagg;

namespace {

/// Clients' updates and weights, their encodings, and a session to sum them.
struct Scenario {
    Config config;
    NeighbourGraph graph;
    FixedPointEncoding encoding;
    std::vector<std::vector<float>> values;
    std::vector<double> weights;

    Scenario(std::uint32_t n, std::uint32_t degree, std::size_t length, std::uint64_t seed,
             FixedPointConfig fixed = {0.5, 16, 100.0})
        : config(make_config(n, degree, length)), graph(make_graph(n, degree, seed)), encoding(fixed) {
        std::mt19937 gen(static_cast<std::uint32_t>(seed));
        std::uniform_real_distribution<float> value(-0.6f, 0.6f); // a little beyond the clipping range
        std::uniform_real_distribution<double> weight(1.0, 100.0);
        for (std::uint32_t c = 0; c < n; ++c) {
            values.emplace_back(length - 1);
            for (auto& v : values.back()) {
                v = value(gen);
            }
            weights.push_back(weight(gen));
        }
    }

    static Config make_config(std::uint32_t n, std::uint32_t degree, std::size_t length) {
        Config config;
        config.clients = n;
        config.degree = degree;
        config.threshold = majority_threshold(degree);
        config.vector_length = length;
        config.session_id.fill(0x42);
        return config;
    }

    static NeighbourGraph make_graph(std::uint32_t n, std::uint32_t degree, std::uint64_t seed) {
        SeededRandom random(seed ^ 0xC0FFEE);
        return NeighbourGraph::random_harary(n, degree, random);
    }

    [[nodiscard]] std::vector<std::uint32_t> input(ClientId c) const {
        return encoding.encode(std::span<const float>(values[c]), weights[c]);
    }

    LocalSessionReport run(const std::vector<int>& drop_round, std::uint64_t seed = 1, bool record = false) const {
        LocalSession session(config, graph, test::seeded_clients(seed));
        LocalSessionOptions options;
        options.drop_round = drop_round;
        options.record_server_view = record;
        return session.run([this](ClientId c) { return input(c); }, options);
    }

    /// The plaintext sum, mod 2^32, of the encoded inputs of `clients`.
    [[nodiscard]] std::vector<std::uint32_t> plaintext_sum(const std::vector<ClientId>& clients) const {
        std::vector<std::uint32_t> sum(config.vector_length, 0);
        for (const ClientId c : clients) {
            const auto words = input(c);
            for (std::size_t i = 0; i < sum.size(); ++i) {
                sum[i] += words[i];
            }
        }
        return sum;
    }

    /// The real-valued weighted mean of the clipped values of `clients`.
    [[nodiscard]] std::vector<double> weighted_mean(const std::vector<ClientId>& clients) const {
        const double c = encoding.config().clipping_range;
        std::vector<long double> sum(config.vector_length - 1, 0);
        long double total = 0;
        for (const ClientId id : clients) {
            for (std::size_t j = 0; j < sum.size(); ++j) {
                sum[j] += static_cast<long double>(weights[id]) * std::clamp<double>(values[id][j], -c, c);
            }
            total += weights[id];
        }
        std::vector<double> mean(sum.size());
        for (std::size_t j = 0; j < sum.size(); ++j) {
            mean[j] = static_cast<double>(sum[j] / total);
        }
        return mean;
    }
};

/// The clients that never drop out of `drop_round`.
std::vector<ClientId> answering(const std::vector<int>& drop_round, int round) {
    std::vector<ClientId> clients;
    for (ClientId c = 0; c < drop_round.size(); ++c) {
        if (drop_round[c] > round) {
            clients.push_back(c);
        }
    }
    return clients;
}

/// Every closed neighbourhood keeps t clients to the end, and those that
/// send masked inputs are connected: what the sparse protocol needs.
bool recoverable(const Scenario& s, const std::vector<int>& drop_round) {
    const std::uint32_t n = s.config.clients;
    for (ClientId c = 0; c < n; ++c) {
        std::size_t kept = drop_round[c] > 3 ? 1 : 0;
        for (const ClientId v : s.graph.neighbours(c)) {
            kept += drop_round[v] > 3 ? 1 : 0;
        }
        if (kept < s.config.threshold) {
            return false;
        }
    }
    std::vector<bool> survivors(n);
    for (ClientId c = 0; c < n; ++c) {
        survivors[c] = drop_round[c] > 2;
    }
    return s.graph.connected(survivors);
}

void check_exact(const Scenario& s, const std::vector<int>& drop_round, const LocalSessionReport& report) {
    INFO("n = " << s.config.clients << ", degree = " << s.config.degree);
    REQUIRE_FALSE(report.error);
    REQUIRE(report.sum);
    CHECK(report.client_aborts.empty());
    CHECK(report.rejected.empty());
    const auto contributors = answering(drop_round, 2);
    CHECK(report.sum->contributors == contributors);
    CHECK(report.sum->words == s.plaintext_sum(contributors));
    const WeightedMean mean = s.encoding.decode(report.sum->words, contributors.size());
    const auto expected = s.weighted_mean(contributors);
    double worst = 0;
    for (std::size_t j = 0; j < expected.size(); ++j) {
        worst = std::max(worst, std::abs(mean.values[j] - expected[j]));
    }
    CHECK(worst <= mean.error_bound);
    CHECK(mean.error_bound < 1e-4);
}

} // namespace

TEST_CASE("secagg: the sum is exact for n = 2..200 with random dropouts at every stage", "[secagg][protocol]") {
    std::mt19937 gen(2024);
    for (const std::uint32_t n : {2u, 3u, 4u, 5u, 7u, 10u, 16u, 25u, 40u, 64u, 101u, 150u, 200u}) {
        // The complete graph up to 40 clients, SecAgg+ above.
        const std::uint32_t degree = n <= 40 ? n - 1 : 20;
        const Scenario s(n, degree, 23, n);
        for (int trial = 0; trial < 2; ++trial) {
            std::vector<int> drop_round(n, 4);
            if (degree == n - 1) {
                // Up to n - t dropouts in all, each at a random stage.
                const std::uint32_t most = n - s.config.threshold;
                std::vector<ClientId> order(n);
                std::iota(order.begin(), order.end(), 0u);
                std::shuffle(order.begin(), order.end(), gen);
                const std::uint32_t dropped = trial == 0 ? most : static_cast<std::uint32_t>(gen() % (most + 1));
                for (std::uint32_t i = 0; i < dropped; ++i) {
                    drop_round[order[i]] = static_cast<int>(gen() % 4);
                }
            } else {
                // About 10% drop out, at random stages; plans the graph cannot
                // recover from are drawn again (see recoverable()).
                do {
                    for (auto& r : drop_round) {
                        r = gen() % 10 == 0 ? static_cast<int>(gen() % 4) : 4;
                    }
                } while (!recoverable(s, drop_round));
            }
            REQUIRE(recoverable(s, drop_round));
            check_exact(s, drop_round, s.run(drop_round, 100 + static_cast<std::uint64_t>(trial)));
        }
    }
}

TEST_CASE("secagg: n - t clients may drop out at any one stage", "[secagg][protocol]") {
    for (const std::uint32_t n : {5u, 12u}) {
        const Scenario s(n, n - 1, 17, 7 * n);
        const std::uint32_t most = n - s.config.threshold;
        for (int stage = 0; stage < 4; ++stage) {
            INFO("stage " << stage);
            std::vector<int> drop_round(n, 4);
            for (std::uint32_t i = 0; i < most; ++i) {
                drop_round[(3 * i + static_cast<std::uint32_t>(stage)) % n] = stage;
            }
            check_exact(s, drop_round, s.run(drop_round));
        }
    }
}

TEST_CASE("secagg: with fewer than t survivors the session fails cleanly and reveals nothing", "[secagg][protocol]") {
    const std::uint32_t n = 9;
    const Scenario s(n, n - 1, 11, 5);
    const std::uint32_t too_many = n - s.config.threshold + 1;
    for (int stage = 0; stage < 4; ++stage) {
        INFO("stage " << stage);
        std::vector<int> drop_round(n, 4);
        for (std::uint32_t i = 0; i < too_many; ++i) {
            drop_round[(2 * i + 1) % n] = stage;
        }
        const auto report = s.run(drop_round, 1, true);
        CHECK_FALSE(report.sum);
        REQUIRE(report.error);
        CHECK(report.error->failure() == (stage < 3 ? Failure::too_few_clients : Failure::too_few_shares));
        std::size_t revealed = 0;
        for (const auto& [from, bytes] : report.server_view) {
            const auto message = from_bytes<ClientMessage>(bytes);
            if (const auto* response = std::get_if<UnmaskingResponse>(&message)) {
                revealed += response->shares.size();
            }
        }
        if (stage < 3) {
            CHECK(revealed == 0); // the server stopped before asking anyone for a share
        } else {
            // All n sent masked inputs; the t - 1 that answered revealed one
            // self-mask share of each of the n, so no secret has t shares: by
            // Shamir's hiding they say nothing about it.
            CHECK(revealed == (n - too_many) * n);
            CHECK(n - too_many < s.config.threshold);
        }
        // Every client that was still taking part was told to stop, and has erased its secrets.
        for (ClientId c = 0; c < n; ++c) {
            if (drop_round[c] > stage && stage < 3) {
                CHECK(std::any_of(report.client_aborts.begin(), report.client_aborts.end(),
                                  [c](const auto& abort) { return abort.first == c; }));
            }
        }
    }
}

TEST_CASE("secagg: a sparse graph whose survivors fall apart aborts before unmasking", "[secagg][protocol]") {
    // A cycle (degree 2, threshold 2): two clients two steps apart that send no
    // masked input split the survivors into two arcs; unmasking would tell the
    // server the sum of each arc.
    Scenario s(10, 2, 5, 3);
    s.config.min_clients = 2;
    const ClientId a = 0;
    const ClientId next = s.graph.neighbours(a)[0];
    const ClientId b = s.graph.neighbours(next)[0] == a ? s.graph.neighbours(next)[1] : s.graph.neighbours(next)[0];
    std::vector<int> drop_round(10, 4);
    drop_round[a] = 2;
    drop_round[b] = 2;
    const auto report = s.run(drop_round, 1, true);
    REQUIRE(report.error);
    CHECK(report.error->failure() == Failure::disconnected_survivors);
    for (const auto& [from, bytes] : report.server_view) {
        CHECK_FALSE(std::holds_alternative<UnmaskingResponse>(from_bytes<ClientMessage>(bytes)));
    }
    // One client fewer keeps them connected, and the sum is exact.
    drop_round[b] = 4;
    check_exact(s, drop_round, s.run(drop_round));
}
