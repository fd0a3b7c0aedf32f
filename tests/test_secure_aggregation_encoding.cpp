// Secure aggregation: fixed-point encoding (the no-wrap bound and the
// rounding bound), the message codecs, and the session's parameters.
#include "secure_aggregation_helpers.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

using namespace fedpp;
using namespace fedpp::secagg;

TEST_CASE("secagg fixed point: Flower's parameters sum up to 1023 clients without wrapping", "[secagg][encoding]") {
    const FixedPointEncoding encoding; // clipping range 8, 2^18 steps per unit (2^22 over [-8, 8]), modulus 2^32
    CHECK(encoding.max_clients() == 1023);
    CHECK_NOTHROW(encoding.check_clients(1023));
    CHECK_THROWS_AS(encoding.check_clients(1024), ArgumentError);
    // The worst case: every client at the clipping limit with the largest
    // weight. 1023 of them decode exactly; a 1024th would wrap the sum.
    for (const float extreme : {8.0f, -8.0f, 1e9f}) {
        const std::vector<float> values{extreme};
        const auto words = encoding.encode(std::span<const float>(values), 1.0);
        std::vector<std::uint32_t> sum(2, 0);
        for (int c = 0; c < 1023; ++c) {
            sum[0] += words[0];
            sum[1] += words[1];
        }
        const auto mean = encoding.decode(sum, 1023);
        CHECK(mean.values[0] == std::clamp(static_cast<double>(extreme), -8.0, 8.0));
        CHECK(mean.total_weight == Approx(1023.0));
        if (extreme > 0) {
            // 1024 * 8 * 2^18 = 2^31 is one past the largest int32: the sum wraps
            // to -2^31. (The negative side has that one value of room to spare.)
            sum[1] += words[1];
            CHECK(std::bit_cast<std::int32_t>(sum[1]) / 1024.0 / encoding.scale() == -8.0);
        }
    }
}

TEST_CASE("secagg fixed point: the decoded mean is within the documented bound of the real weighted mean",
          "[secagg][encoding]") {
    std::mt19937 gen(4);
    for (const auto& config : {FixedPointConfig{}, FixedPointConfig{0.5, 16, 100.0}, FixedPointConfig{2.0, 10, 7.0}}) {
        const FixedPointEncoding encoding(config);
        const double c = config.clipping_range;
        for (const std::size_t n : {1u, 2u, 17u, 300u}) {
            if (n > encoding.max_clients()) {
                continue;
            }
            std::uniform_real_distribution<double> value(-1.2 * c, 1.2 * c);
            std::uniform_real_distribution<double> weight(config.max_weight * 1e-3, config.max_weight);
            const std::size_t m = 50;
            std::vector<std::uint32_t> sum(m + 1, 0);
            std::vector<long double> exact(m, 0);
            long double total = 0;
            for (std::size_t i = 0; i < n; ++i) {
                std::vector<double> x(m);
                for (auto& v : x) {
                    v = value(gen);
                }
                const double w = weight(gen);
                const auto words = encoding.encode(std::span<const double>(x), w);
                for (std::size_t j = 0; j <= m; ++j) {
                    sum[j] += words[j];
                }
                for (std::size_t j = 0; j < m; ++j) {
                    exact[j] += static_cast<long double>(w) * std::clamp(x[j], -c, c);
                }
                total += w;
            }
            const auto mean = encoding.decode(sum, n);
            CHECK(mean.total_weight == Approx(static_cast<double>(total)).epsilon(1e-2));
            for (std::size_t j = 0; j < m; ++j) {
                CHECK(std::abs(mean.values[j] - static_cast<double>(exact[j] / total)) <= mean.error_bound);
            }
            // With equal weights the bound is about (1 + c) / (2 s).
            if (n > 1) {
                CHECK(mean.error_bound < static_cast<double>(n) * (1 + c) / 2 / static_cast<double>(mean.weight_units) * 1.001);
            }
        }
    }
}

TEST_CASE("secagg fixed point: the bound is tight enough to notice a wrong rounding", "[secagg][encoding]") {
    // Truncating instead of rounding (a classic fixed-point slip) errs by up
    // to a whole step per value, twice what the bound allows for equal weights.
    const FixedPointEncoding encoding({1.0, 4, 1.0});
    const std::vector<double> x(1, 0.99);
    const auto words = encoding.encode(std::span<const double>(x), 1.0);
    const auto mean = encoding.decode(words, 1);
    CHECK(std::abs(mean.values[0] - 0.99) <= mean.error_bound);
    const double truncated = std::floor(0.99 * 16) / 16;
    CHECK(std::abs(truncated - 0.99) > mean.error_bound / 2);
}

TEST_CASE("secagg fixed point: bad weights, non-finite values and bad parameters are refused", "[secagg][encoding]") {
    const FixedPointEncoding encoding({1.0, 10, 5.0});
    const std::vector<float> ok{0.5f};
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(ok), 0.0), AggregationError);
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(ok), -1.0), AggregationError);
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(ok), 5.5), AggregationError);
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(ok), std::nan("")), AggregationError);
    const std::vector<float> nan{std::numeric_limits<float>::quiet_NaN()};
    const std::vector<float> inf{std::numeric_limits<float>::infinity()};
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(nan), 1.0), AggregationError);
    CHECK_THROWS_AS(encoding.encode(std::span<const float>(inf), 1.0), AggregationError);
    CHECK_THROWS_AS(encoding.decode(std::vector<std::uint32_t>{0, 5}, 1), AggregationError);
    CHECK_THROWS_AS(FixedPointEncoding({0.0, 10, 1.0}), ArgumentError);
    CHECK_THROWS_AS(FixedPointEncoding({1.0, 31, 1.0}), ArgumentError);
    CHECK_THROWS_AS(FixedPointEncoding({1.0, 10, -1.0}), ArgumentError);
    CHECK_THROWS_AS(FixedPointEncoding({1e10, 10, 1.0}), ArgumentError);
}

namespace {
template <class M>
void check_round_trip(const M& message) {
    const Bytes bytes = to_bytes(message);
    CHECK(from_bytes<M>(bytes) == message);
    for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 40) {
        CHECK_THROWS_AS(from_bytes<M>(std::span(bytes).first(cut)), SerializationError);
    }
    Bytes longer = bytes;
    longer.push_back(std::byte{0});
    CHECK_THROWS_AS(from_bytes<M>(longer), SerializationError);
}
} // namespace

TEST_CASE("secagg codecs: every message survives its bytes, and truncated bytes are refused", "[secagg][encoding]") {
    PublicKey key{};
    key[0] = 1;
    key[31] = 0xFF;
    check_round_trip(ClientMessage(AdvertiseKeys{key, PublicKey{}}));
    check_round_trip(ClientMessage(ShareKeysResponse{{{3, {1, 2, 3}}, {5, {}}}}));
    check_round_trip(ClientMessage(MaskedInput{{1, 0xFFFFFFFF, 7}}));
    check_round_trip(ClientMessage(UnmaskingResponse{{{1, ShareKind::masking_key, {4, 5}}, {2, ShareKind::self_mask_seed, {}}}}));
    check_round_trip(ClientMessage(Abort{"why"}));
    check_round_trip(ServerMessage(ShareKeysRequest{{{1, key, key}, {2, PublicKey{}, key}}}));
    check_round_trip(ServerMessage(MaskedInputRequest{{{4, {9, 9}}}}));
    check_round_trip(ServerMessage(UnmaskingRequest{{1, 2}, {3}}));
    check_round_trip(ServerMessage(Abort{""}));
    check_round_trip(MaskedInput{{1, 2, 3}});

    Bytes kind = to_bytes(ClientMessage(UnmaskingResponse{{{1, ShareKind::masking_key, {4}}}}));
    // The share kind byte follows the type name, the variant index, the count and the owner.
    const std::size_t at = kind.size() - 8 - 4 - 1;
    kind[at] = std::byte{2};
    CHECK_THROWS_AS(from_bytes<ClientMessage>(kind), SerializationError);
    Bytes variant = to_bytes(ServerMessage(Abort{"x"}));
    variant[8 + Codec<ServerMessage>::type_name().size()] = std::byte{4};
    CHECK_THROWS_AS(from_bytes<ServerMessage>(variant), SerializationError);
}

TEST_CASE("secagg config: thresholds must be a strict majority of each client's holders", "[secagg][encoding]") {
    Config config;
    config.clients = 10;
    config.degree = 9;
    config.threshold = 6;
    config.vector_length = 3;
    CHECK_NOTHROW(config.validate());
    CHECK(majority_threshold(9) == 6);
    CHECK(majority_threshold(20) == 11);
    for (const std::uint32_t bad : {0u, 1u, 5u, 11u}) {
        Config c = config;
        c.threshold = bad;
        CHECK_THROWS_AS(c.validate(), ArgumentError);
    }
    Config degree = config;
    degree.degree = 10;
    CHECK_THROWS_AS(degree.validate(), ArgumentError);
    Config minimum = config;
    minimum.min_clients = 5;
    CHECK_THROWS_AS(minimum.validate(), ArgumentError);
    minimum.min_clients = 8;
    CHECK(minimum.minimum_clients() == 8);
    Config empty = config;
    empty.vector_length = 0;
    CHECK_THROWS_AS(empty.validate(), ArgumentError);
    SeededRandom random(1);
    CHECK_THROWS_AS(Client(config, 10, random), ArgumentError);
    CHECK_THROWS_AS(Server(config, NeighbourGraph::complete(9)), ArgumentError);
}

TEST_CASE("secagg client: start twice, a wrong input size, or a message out of turn", "[secagg][encoding]") {
    Config config;
    config.clients = 3;
    config.degree = 2;
    config.threshold = 2;
    config.vector_length = 4;
    SeededRandom random(2);
    Client client(config, 1, random);
    CHECK_THROWS_AS(client.set_input({1, 2, 3}), ShapeError);
    const auto advertised = client.start();
    CHECK(std::holds_alternative<AdvertiseKeys>(advertised));
    CHECK_THROWS_AS(client.start(), SecureAggregationError);
    const auto reply = client.handle(UnmaskingRequest{});
    REQUIRE(reply);
    CHECK(std::holds_alternative<Abort>(*reply));
    CHECK(client.round() == ClientRound::aborted);
    CHECK_FALSE(client.handle(Abort{"bye"})); // nothing to say after an abort
}
