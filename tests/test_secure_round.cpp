// Secure aggregation between located parties (fedpp/aggregation/secure_round.hpp):
// the tutorial with a sum-only aggregator, every protocol message through
// the seam, dropouts, and what the aggregator and the model owner see.
#include <fedpp/fedpp.hpp>
#include <fedpp/privacy/gaussian_noise.hpp>
#include <fedpp/secure_aggregation.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <string>
#include <vector>

namespace {

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Carol = fedpp::DataOwner<"carol">;
using Summer = fedpp::SumOnlyAggregator<"secure_worker">;
using LinearModel = fedpp::nn::Linear<double>;
using fedpp::secagg::SecureRound;
using fedpp::secagg::SecureRoundOptions;
using fedpp::Pointer;

LinearModel model_with(std::uint64_t seed) {
    fedpp::Generator generator(seed);
    return LinearModel(3, 2, generator);
}

std::vector<double> values(const LinearModel& model) { return fedpp::detail::secagg::values_of(model); }

/// The plaintext weighted mean of the quantised updates: what the secure
/// sum must equal exactly.
fedpp::secagg::WeightedMean plaintext_mean(const fedpp::secagg::FixedPointConfig& config,
                                           const std::vector<std::pair<const LinearModel*, double>>& updates) {
    const fedpp::secagg::FixedPointEncoding encoding(config);
    std::vector<std::uint32_t> sum;
    for (const auto& [model, weight] : updates) {
        const auto v = values(*model);
        const auto words = encoding.encode(std::span<const double>(v), weight);
        sum.resize(words.size(), 0);
        for (std::size_t j = 0; j < words.size(); ++j) {
            sum[j] += words[j]; // modulo 2^32
        }
    }
    return encoding.decode(sum, updates.size());
}

struct Parties {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob{hook};
    fedpp::Worker<Alice> alice{hook};
    fedpp::Worker<Carol> carol{hook};
    fedpp::Worker<Summer> summer{hook};
};

SecureRoundOptions seeded(std::uint64_t seed) {
    SecureRoundOptions options;
    options.seed = seed;
    options.encoding.max_weight = 10;
    return options;
}

} // namespace

TEST_CASE("secure round: the sum-only aggregator releases the weighted mean of the masked updates, exactly that "
          "of the quantised updates, and the real-valued mean within the encoding's bound",
          "[secure_round]") {
    Parties p;
    const LinearModel b = model_with(2);
    const LinearModel a = model_with(3);
    const LinearModel c = model_with(4);
    const auto options = seeded(7);
    SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, options, p.bob, p.alice, p.carol);
    auto bobs = fedpp::send(b.copy(), p.bob);
    auto alices = fedpp::send(a.copy(), p.alice);
    auto carols = fedpp::send(c.copy(), p.carol);
    auto bobs_masked = secure.mask(bobs, 1.0).move(p.summer);
    auto alices_masked = secure.mask(alices, 3.0).move(p.summer);
    auto carols_masked = secure.mask(carols, 4.0).move(p.summer);
    const fedpp::Aggregate<LinearModel> mean =
        secure.sum(std::move(bobs_masked), std::move(alices_masked), std::move(carols_masked)).get();
    CHECK(mean.contributions() == 3);
    CHECK(secure.dropouts().empty());
    const auto plain = plaintext_mean(options.encoding, {{&b, 1.0}, {&a, 3.0}, {&c, 4.0}});
    const auto got = values(mean.model());
    REQUIRE(got.size() == plain.values.size());
    const auto vb = values(b);
    const auto va = values(a);
    const auto vc = values(c);
    for (std::size_t j = 0; j < got.size(); ++j) {
        CHECK(got[j] == plain.values[j]);
        CHECK(std::abs(got[j] - (1 * vb[j] + 3 * va[j] + 4 * vc[j]) / 8) <= plain.error_bound);
    }
    // Every message crossed through the seam, between a data owner and the
    // aggregator only, as a ProtocolMessage or a masked update; the model
    // owner fetched the mean and, per participant, whether it is in the sum
    // (public, as the survivors' list), nothing else.
    const std::string message = fedpp::Codec<fedpp::ProtocolMessage>::type_name();
    const std::string masked = fedpp::Codec<fedpp::Masked<LinearModel>>::type_name();
    std::size_t messages = 0;
    for (const auto& t : p.hook.transfers().entries()) {
        CAPTURE(t.type, t.from, t.to);
        if (t.kind == fedpp::TransferKind::move) {
            CHECK((t.type == message || t.type == masked));
            CHECK(((t.from == "secure_worker") != (t.to == "secure_worker")));
            messages += t.type == message ? 1 : 0;
        } else if (t.kind == fedpp::TransferKind::get) {
            CHECK((t.type == fedpp::Codec<fedpp::Aggregate<LinearModel>>::type_name() || t.type == "bool"));
            CHECK(t.from == "secure_worker");
        } else {
            CHECK(t.kind == fedpp::TransferKind::send);
            CHECK(t.from == "me");
        }
    }
    CHECK(messages == 3 * 7);
    REQUIRE(secure.in_sum() == std::vector<bool>{true, true, true}); // keys, shares, their reply, the request, the survivors, the shares revealed: and back
}

TEST_CASE("secure round: a participant that drops out after the shares are out is left out of the sum, whose "
          "survivors' mean comes out, and with fewer than t survivors the round fails and reveals nothing",
          "[secure_round]") {
    Parties p;
    const LinearModel b = model_with(2);
    const LinearModel a = model_with(3);
    const auto options = seeded(11);
    SECTION("two of three survive: the mean of the two") {
        SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, options, p.bob, p.alice, p.carol);
        auto bobs = fedpp::send(b.copy(), p.bob);
        auto alices = fedpp::send(a.copy(), p.alice);
        auto bobs_masked = secure.mask(bobs, 2.0).move(p.summer);
        auto alices_masked = secure.mask(alices, 2.0).move(p.summer);
        // Carol never sends her masked update: the others reveal the shares
        // of her masking key, and her pairwise masks come off the sum.
        const fedpp::Aggregate<LinearModel> mean = secure.sum(std::move(bobs_masked), std::move(alices_masked)).get();
        CHECK(mean.contributions() == 2);
        CHECK(secure.in_sum() == std::vector<bool>{true, true, false});
        const auto plain = plaintext_mean(options.encoding, {{&b, 2.0}, {&a, 2.0}});
        CHECK(values(mean.model()) == plain.values);
    }
    SECTION("one of three: fewer than t = 2, no sum") {
        SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, options, p.bob, p.alice, p.carol);
        auto bobs = fedpp::send(b.copy(), p.bob);
        auto bobs_masked = secure.mask(bobs, 2.0).move(p.summer);
        CHECK_THROWS_AS(secure.sum(std::move(bobs_masked)), fedpp::secagg::SecureAggregationError);
    }
    SECTION("a participant whose worker is gone before the masked-input round drops out") {
        std::optional<fedpp::Worker<fedpp::DataOwner<"dave">>> dave(std::in_place, p.hook);
        SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, options, p.bob, p.alice, *dave);
        dave.reset(); // gone before the masked-input round
        auto bobs = fedpp::send(b.copy(), p.bob);
        auto alices = fedpp::send(a.copy(), p.alice);
        auto bobs_masked = secure.mask(bobs, 1.0).move(p.summer);
        auto alices_masked = secure.mask(alices, 1.0).move(p.summer);
        const fedpp::Aggregate<LinearModel> mean = secure.sum(std::move(bobs_masked), std::move(alices_masked)).get();
        CHECK(mean.contributions() == 2);
        REQUIRE(secure.dropouts().size() == 1);
        CHECK(secure.dropouts().front().first == 2);
    }
}

TEST_CASE("secure round over a sparse graph (SecAgg+): forty participants of degree 24, two dropping out, give "
          "the survivors' mean exactly",
          "[secure_round]") {
    using Client = fedpp::DataOwner<"client">;
    fedpp::Federation hook;
    fedpp::Worker<Summer> summer(hook);
    std::vector<std::unique_ptr<fedpp::Worker<Client>>> owners;
    std::vector<fedpp::Worker<Client>*> workers;
    for (int k = 0; k < 40; ++k) {
        owners.push_back(std::make_unique<fedpp::Worker<Client>>(hook, "client-" + std::to_string(k)));
        workers.push_back(owners.back().get());
    }
    auto options = seeded(13);
    options.degree = 24; // t = 13 of each participant's 25 share holders: any two may drop out
    std::vector<LinearModel> models;
    for (std::uint64_t k = 0; k < 40; ++k) {
        models.push_back(model_with(20 + k));
    }
    SecureRound<LinearModel, Summer> secure(model_with(1), summer, options, workers);
    std::vector<Pointer<fedpp::Masked<LinearModel>, Summer>> masked;
    std::vector<std::pair<const LinearModel*, double>> survivors;
    for (std::size_t k = 0; k < 40; ++k) {
        if (k == 2 || k == 5) {
            continue; // they never send their masked updates
        }
        auto model = fedpp::send(models[k].copy(), *workers[k]);
        masked.push_back(secure.mask(model, double(k % 10 + 1)).move(summer));
        survivors.emplace_back(&models[k], double(k % 10 + 1));
    }
    const fedpp::Aggregate<LinearModel> mean = secure.sum(std::move(masked)).get();
    CHECK(mean.contributions() == 38);
    std::vector<bool> expected(40, true);
    expected[2] = expected[5] = false;
    CHECK(secure.in_sum() == expected);
    CHECK(values(mean.model()) == plaintext_mean(options.encoding, survivors).values);
    // Odd degrees, and degrees below the floor for 40 (24), are refused.
    for (const std::uint32_t degree : {3u, 22u, 25u}) {
        options.degree = degree;
        CHECK_THROWS_AS((SecureRound<LinearModel, Summer>(model_with(1), summer, options, workers)),
                        fedpp::ArgumentError);
    }
}

TEST_CASE("secure round: a data owner adds its noise share (MaskNoise) where it masks, from the seed alone in one "
          "process, and a share that is not finite and >= 0 is refused",
          "[secure_round][dp]") {
    const auto mean_with = [](const fedpp::secagg::MaskNoise& noise) {
        Parties p;
        SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, seeded(7), p.bob, p.alice);
        auto bobs = fedpp::send(model_with(2), p.bob);
        auto alices = fedpp::send(model_with(3), p.alice);
        auto bobs_masked = secure.mask(bobs, 1.0, noise).move(p.summer);
        auto alices_masked = secure.mask(alices, 1.0).move(p.summer);
        return values(secure.sum(std::move(bobs_masked), std::move(alices_masked)).get().model());
    };
    const auto noised = mean_with({0.5, 42});
    LinearModel bobs_noised = model_with(2); // Bob's update and his share, N(0, 0.25) per value from seed 42
    fedpp::Generator generator(42);
    fedpp::privacy::add_gaussian_noise(bobs_noised, 0.5, generator);
    const LinearModel alices = model_with(3);
    CHECK(noised == plaintext_mean(seeded(7).encoding, {{&bobs_noised, 1.0}, {&alices, 1.0}}).values);
    const LinearModel bobs = model_with(2); // the twin: no share, the plain mean
    CHECK(mean_with({}) == plaintext_mean(seeded(7).encoding, {{&bobs, 1.0}, {&alices, 1.0}}).values);
    CHECK(mean_with({}) != noised);
    CHECK(mean_with({0.5, 43}) != noised);

    Parties p;
    SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, seeded(7), p.bob, p.alice);
    auto bobs_there = fedpp::send(model_with(2), p.bob);
    for (const double bad : {-0.5, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        CHECK_THROWS_AS(secure.mask(bobs_there, 1.0, {bad, 42}), fedpp::ArgumentError);
        CHECK_THROWS_WITH(secure.mask(bobs_there, 1.0, {bad, 42}),
                          Catch::StartsWith("SecureRound::mask: the noise's standard deviation must be finite and >= 0"));
    }
    // Nor one the encoding's range (8) cannot hold with the update: the noise would be clipped.
    CHECK_THROWS_WITH(secure.mask(bobs_there, 1.0, {2.0, 42}), Catch::Contains("do not fit the encoding's clipping "
                                                                              "range 8"));
    CHECK_NOTHROW(secure.mask(bobs_there, 1.0, {0.5, 42})); // the twin
}

TEST_CASE("secure round: refused set-ups, strangers, second tries and updates of another session",
          "[secure_round]") {
    Parties p;
    using Strict = fedpp::SumOnlyAggregator<"strict", 3>;
    fedpp::Worker<Strict> strict(p.hook);
    CHECK_THROWS_AS((SecureRound<LinearModel, Summer>(model_with(1), p.summer, seeded(1), p.bob)), fedpp::ArgumentError);
    CHECK_THROWS_MATCHES((SecureRound<LinearModel, Summer>(model_with(1), p.summer, seeded(1), p.bob, p.bob, p.alice)),
                         fedpp::ArgumentError, Catch::Matchers::Message(
                             "SecureRound: worker 'bob' is listed twice among the participants"));
    CHECK_THROWS_AS((SecureRound<LinearModel, Strict>(model_with(1), strict, seeded(1), p.bob, p.alice)),
                    fedpp::ArgumentError); // fewer than the 3 its sums must combine

    SecureRound<LinearModel, Summer> secure(model_with(1), p.summer, seeded(1), p.bob, p.alice);
    auto carols = fedpp::send(model_with(2), p.carol);
    CHECK_THROWS_AS(secure.mask(carols, 1.0), fedpp::LocationError); // not a participant
    auto bobs = fedpp::send(model_with(2), p.bob);
    CHECK_THROWS_AS(secure.mask(bobs, 11.0), fedpp::AggregationError); // above the largest weight
    CHECK_THROWS_AS(secure.mask(bobs, 1e-9), fedpp::AggregationError); // below its resolution: weight 0
    auto alices = fedpp::send(model_with(3), p.alice);
    auto bobs_masked = secure.mask(bobs, 1.0).move(p.summer);
    CHECK_THROWS_AS(secure.mask(bobs, 1.0), fedpp::ArgumentError); // twice

    // Alice's update masked for another session (the same participants) is
    // refused, and the refusal changes nothing: the right one then sums.
    SecureRound<LinearModel, Summer> other(model_with(1), p.summer, seeded(2), p.bob, p.alice);
    auto stale = other.mask(alices, 1.0).move(p.summer);
    auto alices_masked = secure.mask(alices, 1.0).move(p.summer);
    std::vector<Pointer<fedpp::Masked<LinearModel>, Summer>> wrong;
    wrong.push_back(std::move(stale));
    CHECK_THROWS_MATCHES(secure.sum(std::move(wrong)), fedpp::AggregationError,
                         Catch::Matchers::Message("secure aggregation: a masked update of another session, or of "
                                                  "another client, is not taken into this sum"));
    const fedpp::Aggregate<LinearModel> mean = secure.sum(std::move(bobs_masked), std::move(alices_masked)).get();
    CHECK(mean.contributions() == 2);
    CHECK_THROWS_AS(secure.sum(), fedpp::ArgumentError);             // a session sums once
    CHECK_THROWS_AS(secure.mask(bobs, 1.0), fedpp::ArgumentError);   // and masks nothing after
}

TEST_CASE("a secure aggregation party's state, which has no encoding, counts for a party's quota of bytes by an "
          "estimate from its session's settings",
          "[secure][quota]") {
    namespace secagg = fedpp::detail::secagg;
    secagg::Settings settings;
    settings.config.clients = 3;
    settings.config.degree = 2;
    settings.config.threshold = 2;
    settings.config.vector_length = 1000;
    settings.seed = 5;
    const std::size_t entry = secagg::StaysAtItsParty<secagg::ServerParty>::held_per_neighbour;
    const fedpp::detail::RemoteValue<secagg::ServerParty> server(secagg::ServerParty(settings, {"a", "b", "c"}));
    const fedpp::detail::RemoteValue<secagg::ClientParty> client(secagg::ClientParty(settings, 0));
    // The server keeps every client's neighbour list, a client its own.
    CHECK(server.type().encoded_size(server) == 1000 * 4 + 3 * 3 * entry);
    CHECK(client.type().encoded_size(client) == 1000 * 4 + 3 * entry);
    CHECK_THROWS_AS(server.type().encode(server), fedpp::SerializationError); // (it has no encoding)
}
