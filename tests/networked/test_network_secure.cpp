// Secure aggregation with every party a process of its own (gRPC servers on
// 127.0.0.1): SecureFederatedAveraging over RemoteParties ends bitwise as in
// one process, each party's own account shows that only masked models and
// the protocol's messages reached the sum-only aggregator and only means and
// scalars left it; and, spoken to directly by a hostile model owner, the
// data owners and the aggregator refuse what their policies forbid.
#include "network_parties.hpp"

#include "blobs.hpp"

#include <fedpp/federated.hpp>
#include <fedpp/federated/secure_driver.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using Model = fedpp::nn::Sequential<double>;
using Dataset = fedpp::data::Dataset<double>;
using fedpp::federated::Aggregation;
using fedpp::federated::SecureFederatedAveraging;

constexpr std::size_t secure_clients = 5;

std::vector<Dataset> secure_client_sets() { return synthetic::growing_client_sets<double>(secure_clients, 100); }

fedpp::federated::Config secure_config(std::size_t rounds) {
    fedpp::federated::Config config;
    config.rounds = rounds;
    config.client_fraction = 0.8;
    config.local.epochs = 2;
    config.local.batch_size = 4;
    config.local.learning_rate = 0.05;
    config.seed = 37;
    config.threads = 2;
    config.aggregation = Aggregation::secure;
    return config;
}

/// secure_config() with DP-FedAvg: clip norm S, noise multiplier z.
fedpp::federated::Config secure_dp_config(std::size_t rounds, double clip_norm, double noise_multiplier) {
    auto config = secure_config(rounds);
    config.dp = fedpp::federated::DpConfig{};
    config.dp->clip_norm = clip_norm;
    config.dp->noise_multiplier = noise_multiplier;
    return config;
}

std::string secure_client_name(std::size_t k) { return "client-" + std::to_string(k); }

/// A sum-only aggregator and the clients, each a server with its own data.
/// The aggregator sends the protocol's messages to the clients, so it is
/// started again, at the same address, once it knows theirs.
/// `seeded_aggregator`, `seeded_clients`: their Policy::allow_seeded_secrets;
/// `max_released_updates`, `private_noise`, `mask_floor` (mask_max_clip_norm
/// and mask_min_noise_multiplier), `mask_own_floor`
/// (mask_min_own_noise_multiplier): the clients'.
struct SecureFederation {
    explicit SecureFederation(bool seeded_aggregator = false, bool seeded_clients = false,
                              std::uint64_t max_released_updates = 0, bool private_noise = true,
                              std::pair<double, double> mask_floor = {0, 0}, double mask_own_floor = 0)
        : SecureFederation(
              [&] {
                  auto policy = network::sum_only_aggregator("aggregator");
                  policy.allow_seeded_secrets = seeded_aggregator;
                  return policy;
              }(),
              [&](const std::string& name) {
                  auto policy = network::secure_data_owner(name, {"aggregator"});
                  policy.allow_seeded_secrets = seeded_clients;
                  policy.max_released_updates = max_released_updates;
                  policy.private_noise = private_noise;
                  std::tie(policy.mask_max_clip_norm, policy.mask_min_noise_multiplier) = mask_floor;
                  policy.mask_min_own_noise_multiplier = mask_own_floor;
                  return policy;
              }) {}

    /// The aggregator with `aggregator_policy` (named "aggregator"), client
    /// k with `client_policy("client-k")`.
    template <class ClientPolicy>
    SecureFederation(const fedpp::party::Policy& aggregator_policy, const ClientPolicy& client_policy)
        : aggregator(std::in_place, aggregator_policy) {
        const auto sets = secure_client_sets();
        fedpp::grpc::Peers client_addresses;
        for (std::size_t k = 0; k < secure_clients; ++k) {
            clients.emplace_back(std::in_place, client_policy(secure_client_name(k)),
                                 fedpp::grpc::Peers{{"aggregator", aggregator->address()}});
            clients.back()->host.publish("train", sets[k]);
            client_addresses[secure_client_name(k)] = clients.back()->address();
        }
        const std::string address = aggregator->address();
        aggregator.reset();
        aggregator.emplace(aggregator_policy, client_addresses, address);
    }

    fedpp::federated::RemoteParties remote() const {
        std::map<std::string, const network::Party*> parties{{"aggregator", &*aggregator}};
        fedpp::federated::RemoteParties remote;
        for (std::size_t k = 0; k < secure_clients; ++k) {
            parties[secure_client_name(k)] = &*clients[k];
            remote.clients.push_back(secure_client_name(k));
        }
        remote.transport = network::transport("me", parties);
        return remote;
    }

    std::optional<network::Party> aggregator;
    std::deque<std::optional<network::Party>> clients; // parties do not move
};

} // namespace

TEST_CASE("secure FedAvg over the network equals secure FedAvg in one process, bitwise, and only masked models "
          "reach the aggregator",
          "[network][secure]") {
    SecureFederation parties;
    const Model initial = synthetic::small_mlp<double>(7);
    SecureFederatedAveraging<Model> in_process(initial.copy(), secure_client_sets(),
                                               synthetic::points<double>(60, 9), secure_config(3));
    SecureFederatedAveraging<Model> networked(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                              secure_config(3));
    CHECK(networked.client_sizes() == in_process.client_sizes());
    const auto expected = in_process.run();
    const auto metrics = networked.run();
    REQUIRE(metrics.size() == expected.size());
    for (std::size_t r = 0; r < metrics.size(); ++r) {
        CAPTURE(r, metrics[r].round_error);
        CHECK(metrics[r].aggregated);
        CHECK(metrics[r].failures.empty());
        CHECK(metrics[r].clients_aggregated == expected[r].clients_aggregated);
        CHECK(metrics[r].test_accuracy == expected[r].test_accuracy);
    }
    // The unmasked sum is exact: the secrets differ between the runs, the model does not.
    CHECK(fedpp::to_bytes(networked.global_model()) == fedpp::to_bytes(in_process.global_model()));
    CHECK(fedpp::to_bytes(networked.global_model()) != fedpp::to_bytes(initial));

    // Every party's own account. The clients sent the aggregator masked
    // models and protocol messages only, and the model owner scalars only.
    const std::string message = fedpp::Codec<fedpp::ProtocolMessage>::type_name();
    const std::string masked = fedpp::Codec<fedpp::Masked<Model>>::type_name();
    const std::set<std::string> scalars{"bool", "f64", "i64"};
    std::size_t masked_models = 0;
    for (std::size_t k = 0; k < secure_clients; ++k) {
        for (const auto& entry : parties.clients[k]->host.traffic().lines()) {
            if (entry.direction != "out") {
                continue;
            }
            CAPTURE(k, entry.peer, entry.type);
            if (entry.peer == "aggregator") {
                CHECK((entry.type == message || entry.type == masked));
                masked_models += entry.type == masked ? entry.count : 0;
            } else {
                CHECK(entry.peer == "me");
                CHECK(scalars.count(entry.type) == 1);
            }
        }
    }
    std::size_t aggregated = 0;
    for (const auto& m : metrics) {
        aggregated += m.clients_aggregated;
    }
    CHECK(masked_models == aggregated);
    // The aggregator sent the clients protocol messages only, and the model
    // owner the means and scalars only (whether each client is in the sum).
    for (const auto& entry : parties.aggregator->host.traffic().lines()) {
        if (entry.direction != "out") {
            continue;
        }
        CAPTURE(entry.peer, entry.type);
        if (entry.peer == "me") {
            CHECK((entry.type == fedpp::Codec<fedpp::Aggregate<Model>>::type_name() || scalars.count(entry.type) == 1));
        } else {
            CHECK(entry.type == message);
        }
    }
    CHECK(parties.aggregator->log.empty());
    for (const auto& client : parties.clients) {
        CHECK(client->log.empty());
    }
}

TEST_CASE("distributed DP over the network: each data owner draws its noise share from a secret of its own, which "
          "the model owner cannot recompute, and without it the run is bitwise as in one process",
          "[network][secure][dp]") {
    auto config = secure_dp_config(2, 0.5, 1.0); // S (1 + 6 z) = 3.5, within the encoding's range of 8
    config.local.learning_rate = 1e-30;          // the model moves by the noise alone
    const Model initial = synthetic::small_mlp<double>(7);
    SecureFederatedAveraging<Model> in_process(initial.copy(), secure_client_sets(),
                                               synthetic::points<double>(60, 9), config);
    const auto expected = in_process.run();
    for (const bool private_noise : {false, true}) {
        CAPTURE(private_noise);
        SecureFederation parties(false, false, 0, private_noise);
        SecureFederatedAveraging<Model> networked(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                                  config);
        const auto metrics = networked.run();
        REQUIRE(metrics.size() == expected.size());
        for (std::size_t r = 0; r < metrics.size(); ++r) {
            CAPTURE(r, metrics[r].round_error);
            CHECK(metrics[r].aggregated); // the same rounds, the same clients in them, the same epsilon
            CHECK(metrics[r].clients_aggregated == expected[r].clients_aggregated);
            CHECK(metrics[r].epsilon == expected[r].epsilon);
        }
        // The model owner's seed fixes the shares in one process (and at data
        // owners without a secret): what it could recompute and take off.
        // With their own secrets the released sums carry other noise.
        const bool same = fedpp::to_bytes(networked.global_model()) == fedpp::to_bytes(in_process.global_model());
        CHECK(same == !private_noise);
        // Either way the shares are there: round r's sum carries the c_r
        // shares of N(0, (z S)^2 / t_r) each, over q W = 0.8 x 5 clients.
        double expected_variance = 0;
        for (const auto& m : metrics) {
            const double t = std::floor(static_cast<double>(m.clients_selected) / 2) + 1;
            expected_variance += 0.25 * static_cast<double>(m.clients_aggregated) / t / (4.0 * 4.0);
        }
        double squares = 0;
        double count = 0;
        const auto after = networked.global_model().parameters();
        const auto before = initial.parameters();
        for (std::size_t k = 0; k < after.size(); ++k) {
            squares += (after[k].value() - before[k].value()).squaredNorm();
            count += static_cast<double>(after[k].value().size());
        }
        CHECK(std::sqrt(squares / count) == Approx(std::sqrt(expected_variance)).epsilon(0.25)); // 131 values
        for (const auto& client : parties.clients) {
            CHECK(client->log.empty());
        }
    }
}

TEST_CASE("hostile: a data owner whose policy sets a floor on its noise share masks no update with less noise, "
          "nor in a secure round without DP, and clips what it masks to its own clip norm",
          "[network][secure][dp][hostile]") {
    // The model owner clips to S = 0.05 and asks each client for a share of
    // N(0, (z S)^2 / t) with z = 1. Clients whose floor is z = 2 on a clip
    // norm of 0.05 refuse it (whatever their updates: the refusal tells
    // nothing of them), and the round is not released; the twin, a floor of
    // z = 1, masks them all.
    auto config = secure_dp_config(1, 0.05, 1.0);
    const Model initial = synthetic::small_mlp<double>(7);
    const auto refusals = [](const SecureFederation& parties) {
        std::size_t count = 0;
        for (const auto& client : parties.clients) {
            for (const auto& line : client->log.lines()) {
                CHECK_THAT(line, Catch::Contains("below this data owner's floor, mask_min_noise_multiplier x "
                                                 "mask_max_clip_norm / sqrt(t)"));
                ++count;
            }
        }
        return count;
    };
    const auto moved = [&](const Model& model) { // |model - initial|
        double squares = 0;
        const auto after = model.parameters();
        const auto before = initial.parameters();
        for (std::size_t k = 0; k < after.size(); ++k) {
            squares += (after[k].value() - before[k].value()).squaredNorm();
        }
        return std::sqrt(squares);
    };
    for (const bool dp : {true, false}) {
        CAPTURE(dp);
        SecureFederation parties(false, false, 0, true, {0.05, 2.0});
        auto refused_config = config;
        if (!dp) {
            refused_config.dp.reset(); // no noise at all
        }
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            refused_config);
        const auto metrics = run.run_round();
        REQUIRE(metrics.clients_selected >= 2);
        CHECK_FALSE(metrics.aggregated);
        CHECK(fedpp::to_bytes(run.global_model()) == fedpp::to_bytes(initial));
        CHECK(metrics.clients_aggregated == 0);
        CHECK(refusals(parties) == metrics.clients_selected);
    }
    {
        SecureFederation parties(false, false, 0, true, {0.05, 1.0}); // the twin: z at the floor
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            config);
        const auto metrics = run.run_round();
        CAPTURE(metrics.round_error);
        CHECK(metrics.aggregated);
        CHECK(metrics.clients_aggregated == metrics.clients_selected);
        CHECK(refusals(parties) == 0);
    }
    // A model owner that clips to S = 0.5 with z = 0.01 (noise of 0.005 on
    // the sum) meets a floor of 0.9 on a clip norm of 0.005, and each client
    // clips its update to 0.005 itself: the mean update of the c clients,
    // sum / (q W), moves the model by at most c 0.005 / (q W) = 0.005, and
    // the noise by about 0.005 sqrt(c / t) / (q W) sqrt(131) = 0.017. The
    // twin, at clients without a floor, moves it by the updates clipped to 0.5.
    config.dp->clip_norm = 0.5;
    config.dp->noise_multiplier = 0.01;
    double clipped_at_clients = 0;
    {
        SecureFederation parties(false, false, 0, true, {0.005, 0.9});
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            config);
        const auto metrics = run.run_round();
        CAPTURE(metrics.round_error);
        REQUIRE(metrics.aggregated);
        clipped_at_clients = moved(run.global_model());
        CHECK(clipped_at_clients < 0.04);
        CHECK(refusals(parties) == 0);
    }
    SecureFederation parties;
    SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9), config);
    const auto metrics = run.run_round();
    CAPTURE(metrics.round_error);
    REQUIRE(metrics.aggregated);
    CHECK(moved(run.global_model()) > 3 * clipped_at_clients);

    // Bounds where they would bind nothing (an aggregator's, a sum-only
    // aggregator's), one without the other, negative or not finite ones,
    // or without private_noise or with seeded secrets (the model owner
    // could take the share off, or the masks), are no policy.
    for (auto role : {network::aggregator("secure_worker"), network::sum_only_aggregator("aggregator")}) {
        role.mask_max_clip_norm = 1.0;
        role.mask_min_noise_multiplier = 1.0;
        CHECK_THROWS_WITH(fedpp::party::Host(role), Catch::Contains("bind only a data owner"));
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& [clip, multiplier] : std::vector<std::pair<double, double>>{
             {1.0, 0.0}, {0.0, 1.0}, {-1.0, 1.0}, {1.0, -1.0}, {nan, 1.0}, {1.0, nan},
             {1.0, std::numeric_limits<double>::infinity()}}) {
        CAPTURE(clip, multiplier);
        auto bad = network::secure_data_owner("bob", {"aggregator"});
        bad.mask_max_clip_norm = clip;
        bad.mask_min_noise_multiplier = multiplier;
        CHECK_THROWS_WITH(fedpp::party::Host(bad), Catch::Contains("must both be finite and > 0"));
    }
    auto seeded = network::secure_data_owner("bob", {"aggregator"});
    seeded.mask_max_clip_norm = 1.0;
    seeded.mask_min_noise_multiplier = 1.0;
    seeded.private_noise = false;
    CHECK_THROWS_WITH(fedpp::party::Host(seeded), Catch::Contains("needs private_noise"));
    seeded.private_noise = true;
    seeded.allow_seeded_secrets = true; // the model owner would know the masks
    CHECK_THROWS_WITH(fedpp::party::Host(seeded), Catch::Contains("no allow_seeded_secrets"));
    seeded.allow_seeded_secrets = false; // the twin
    CHECK_NOTHROW(fedpp::party::Host(seeded));
}

TEST_CASE("hostile: a data owner whose policy sets a floor on its own noise share refuses a smaller share, "
          "whatever the session's threshold",
          "[network][secure][dp][hostile]") {
    // The model owner asks each client for a share of N(0, (z S)^2 / t),
    // S = 0.05, t the majority of the round's 2 to 5 clients (2 or 3), so a
    // share of z S / sqrt(t), between 0.58 z S and 0.71 z S: with z = 1 it
    // meets the floor f = 1 on C = 0.05, but not an own floor of g = 0.75,
    // which z = 2 meets, as does g = 0.5 at z = 1.
    const Model initial = synthetic::small_mlp<double>(7);
    const auto round_at = [&](double z, double own_floor) {
        SecureFederation parties(false, false, 0, true, {0.05, 1.0}, own_floor);
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            secure_dp_config(1, 0.05, z));
        const auto metrics = run.run_round();
        CAPTURE(z, own_floor, metrics.round_error);
        REQUIRE(metrics.clients_selected >= 2);
        std::size_t refusals = 0;
        for (const auto& client : parties.clients) {
            for (const auto& line : client->log.lines()) {
                CHECK_THAT(line, Catch::Contains("below this data owner's floor, max(mask_min_noise_multiplier x "
                                                 "mask_max_clip_norm / sqrt(t), mask_min_own_noise_multiplier x "
                                                 "mask_max_clip_norm) = 0.037500"));
                ++refusals;
            }
        }
        if (metrics.aggregated) {
            CHECK(metrics.clients_aggregated == metrics.clients_selected);
            CHECK(refusals == 0);
        } else {
            CHECK(metrics.clients_aggregated == 0);
            CHECK(fedpp::to_bytes(run.global_model()) == fedpp::to_bytes(initial));
            CHECK(refusals == metrics.clients_selected);
            CHECK(metrics.failures.size() == metrics.clients_selected); // the model owner is told why
            for (const auto& failure : metrics.failures) {
                CHECK_THAT(failure.reason, Catch::Contains("dropped out of secure aggregation: ") &&
                                               Catch::Contains("below this data owner's floor, max("));
            }
        }
        return metrics.aggregated;
    };
    CHECK_FALSE(round_at(1.0, 0.75));
    CHECK(round_at(2.0, 0.75)); // the twins
    CHECK(round_at(1.0, 0.5));

    // Negative or not finite, without the floor, or where it would bind
    // nothing, it is no policy.
    for (const double own_floor : {-1.0, std::numeric_limits<double>::quiet_NaN(),
                                   std::numeric_limits<double>::infinity()}) {
        CAPTURE(own_floor);
        auto bad = network::secure_data_owner("bob", {"aggregator"});
        bad.mask_max_clip_norm = 1.0;
        bad.mask_min_noise_multiplier = 1.0;
        bad.mask_min_own_noise_multiplier = own_floor;
        CHECK_THROWS_WITH(fedpp::party::Host(bad), Catch::Contains("mask_min_own_noise_multiplier must be finite"));
    }
    auto alone = network::secure_data_owner("bob", {"aggregator"});
    alone.mask_min_own_noise_multiplier = 1.0;
    CHECK_THROWS_WITH(fedpp::party::Host(alone), Catch::Contains("needs mask_max_clip_norm and"));
    auto aggregator = network::sum_only_aggregator("aggregator");
    aggregator.mask_min_own_noise_multiplier = 1.0;
    CHECK_THROWS_WITH(fedpp::party::Host(aggregator), Catch::Contains("bind only a data owner"));
    alone.mask_max_clip_norm = 1.0; // the twin
    alone.mask_min_noise_multiplier = 1.0;
    CHECK_NOTHROW(fedpp::party::Host(alone));
}

TEST_CASE("parties set up for different aggregations refuse each other, and their refusals say so",
          "[network][secure]") {
    const Model initial = synthetic::small_mlp<double>(7);
    const auto secure_client = [](const std::string& name) {
        return network::secure_data_owner(name, {"aggregator"});
    };
    const auto plain_client = [](const std::string& name) { return network::data_owner(name, {"aggregator"}); };
    const auto logged_at = [](const network::Party& party, const std::string& text) {
        for (const auto& line : party.log.lines()) {
            if (line.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    };
    const auto logged = [&](const SecureFederation& parties, const std::string& text) { // at any client
        return std::any_of(parties.clients.begin(), parties.clients.end(),
                           [&](const auto& client) { return logged_at(*client, text); });
    };
    const auto secure_round = [&](const SecureFederation& parties) {
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            secure_config(1));
        return run.run_round().aggregated;
    };
    { // a secure run whose aggregator is a plain one
        SecureFederation parties(network::aggregator("aggregator"), secure_client);
        CHECK_FALSE(secure_round(parties));
        CHECK(logged_at(*parties.aggregator,
                        "this one is a plain aggregator: secure aggregation needs a sum-only aggregator"));
    }
    { // a secure run whose clients trust the aggregator as a plain one
        SecureFederation parties(network::sum_only_aggregator("aggregator"), plain_client);
        CHECK_FALSE(secure_round(parties));
        CHECK(logged(parties, "the destination is one of its trusted (plain) aggregators: are the parties set up "
                              "for the same aggregation?"));
    }
    { // a plain run whose clients trust the aggregator as a sum-only one
        SecureFederation parties(network::aggregator("aggregator"), secure_client);
        auto config = secure_config(1);
        config.aggregation = Aggregation::weighted_mean;
        fedpp::federated::FederatedAveraging<Model> run(initial.copy(), parties.remote(),
                                                        synthetic::points<double>(60, 9), config);
        CHECK_FALSE(run.run_round().aggregated);
        CHECK(logged(parties, "it is one of its sum-only aggregators (secure aggregation), which get masked "
                              "updates only"));
    }
    { // the twin: all set up alike
        SecureFederation parties;
        CHECK(secure_round(parties));
        for (const auto& client : parties.clients) {
            CHECK(client->log.empty());
        }
        CHECK(parties.aggregator->log.empty());
    }
}

TEST_CASE("hostile: a party refuses a secure session whose secrets come from the model owner's seed, unless its "
          "policy allows it",
          "[network][secure][hostile]") {
    fedpp::secagg::SecureRoundOptions seeded;
    seeded.seed = 99; // whoever knows it knows every secret of the session
    const Model initial = synthetic::small_mlp<double>(7);
    const auto round_error = [&](SecureFederation& parties) {
        SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                            secure_config(1), seeded);
        const auto metrics = run.run_round();
        CHECK_FALSE(metrics.aggregated);
        CHECK(fedpp::to_bytes(run.global_model()) == fedpp::to_bytes(initial));
        return metrics.round_error;
    };
    SECTION("the aggregator refuses") {
        SecureFederation parties;
        CHECK_THAT(round_error(parties), Catch::Contains("seed"));
        REQUIRE(parties.aggregator->log.lines().size() == 1);
        CHECK_THAT(parties.aggregator->log.lines()[0], Catch::Contains("the caller's seed"));
    }
    SECTION("a data owner refuses") {
        SecureFederation parties(true, false);
        CHECK_THAT(round_error(parties), Catch::Contains("seed"));
        std::size_t refusals = 0;
        for (const auto& client : parties.clients) {
            for (const auto& line : client->log.lines()) {
                CHECK_THAT(line, Catch::Contains("the caller's seed"));
                ++refusals;
            }
        }
        CHECK(refusals >= 1);
    }
    SECTION("the legal twin: every party allows it (tests, simulations), and the run is the in-process one") {
        SecureFederation parties(true, true);
        SecureFederatedAveraging<Model> networked(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                                  secure_config(2), seeded);
        SecureFederatedAveraging<Model> in_process(initial.copy(), secure_client_sets(),
                                                   synthetic::points<double>(60, 9), secure_config(2), seeded);
        networked.run();
        in_process.run();
        CHECK(fedpp::to_bytes(networked.global_model()) == fedpp::to_bytes(in_process.global_model()));
        CHECK(parties.aggregator->log.empty());
    }
}

TEST_CASE("hostile: a data owner's budget of released updates counts its masked updates, not the protocol's "
          "messages, and past it the data owner trains no more, so that it drains no one else's",
          "[network][secure][hostile]") {
    // Budget 1: every client selected in the first round sends its one
    // masked update (and several protocol messages, which do not count).
    // In the second, the clients that took part before refuse to train on
    // their data: too few are left for the round, which ends before any
    // secure session, so the one client with budget left spends none.
    SecureFederation parties(false, false, 1);
    const Model initial = synthetic::small_mlp<double>(7);
    SecureFederatedAveraging<Model> run(initial.copy(), parties.remote(), synthetic::points<double>(60, 9),
                                        secure_config(2));
    const auto first = run.run_round();
    CAPTURE(first.round_error);
    CHECK(first.aggregated);
    CHECK(first.failures.empty());
    const auto released = [&] {
        std::uint64_t total = 0;
        for (const auto& client : parties.clients) {
            CHECK(client->host.released_updates() <= 1);
            total += client->host.released_updates();
        }
        return total;
    };
    CHECK(released() == first.clients_aggregated);
    const auto model_after_first = fedpp::to_bytes(run.global_model());

    const auto second = run.run_round();
    CHECK_FALSE(second.aggregated);
    CHECK(fedpp::to_bytes(run.global_model()) == model_after_first);
    CHECK(released() == first.clients_aggregated);
    std::size_t refused = 0;
    for (const auto& client : parties.clients) {
        for (const auto& line : client->log.lines()) {
            CHECK_THAT(line, Catch::Contains("on its data (this data owner's budget of released updates"));
            ++refused;
        }
    }
    CHECK(refused >= 3);
    CHECK(second.failures.size() == refused);
}

TEST_CASE("a client reached after a secure run's start is taken in only if the run's encoding sums its rounds",
          "[network][secure]") {
    SecureFederation parties;
    auto tight_parties = parties.remote(); // (made while every client is up: they hold each one's address)
    auto roomy_parties = parties.remote();
    const std::string address = parties.clients[4]->address();
    parties.clients[3].reset();
    parties.clients[4].reset();
    auto config = secure_config(3);
    config.client_fraction = 1.0; // every client with data, every round
    fedpp::secagg::SecureRoundOptions tight; // (2^31 - 1) / (8 * 2^26): at most 3 clients a round
    tight.encoding.fraction_bits = 26;
    const Model initial = synthetic::small_mlp<double>(7);
    SecureFederatedAveraging<Model> narrow(initial.copy(), std::move(tight_parties), synthetic::points<double>(60, 9),
                                           config, tight);
    SecureFederatedAveraging<Model> wide(initial.copy(), std::move(roomy_parties), synthetic::points<double>(60, 9),
                                         config); // the twin: the default encoding sums 1023
    REQUIRE(narrow.unreachable_clients().size() == 2);
    CHECK(narrow.run_round().clients_aggregated == 3);

    parties.clients[4].emplace(network::secure_data_owner(secure_client_name(4), {"aggregator"}),
                               fedpp::grpc::Peers{{"aggregator", parties.aggregator->address()}}, address);
    parties.clients[4]->host.publish("train", secure_client_sets()[4]);
    network::wait_for_reconnection();
    CHECK(narrow.retry_unreachable().empty()); // 4 a round would wrap around: client 4 stays out, saying why
    REQUIRE(narrow.unreachable_clients().size() == 2);
    CHECK_THAT(narrow.unreachable_clients().back().reason,
               Catch::Contains("more than the encoding sums without wrapping around (3)"));
    CHECK(narrow.client_sizes()[4] == 0);
    const auto next = narrow.run_round();
    CHECK(next.aggregated);
    CHECK(next.clients_aggregated == 3);

    CHECK(wide.retry_unreachable() == std::vector<std::size_t>{4});
    const auto joined = wide.run_round();
    CAPTURE(joined.round_error);
    CHECK(joined.aggregated);
    CHECK(joined.clients_aggregated == 4);
}
