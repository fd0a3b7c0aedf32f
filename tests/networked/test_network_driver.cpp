// The federated driver with clients and an aggregator that are parties of
// their own (gRPC servers on 127.0.0.1): the same run, bitwise, as in one
// process (plain, and DP-FedAvg); clients that go away are left out and
// rejoin, those unreachable at the start once tried again; an aggregator
// that goes away fails the round cleanly; a model owner that restarts
// resumes exactly, also with clients left out of one run or the other;
// what a vanished model owner left behind is reclaimed.
#include "network_parties.hpp"

#include "blobs.hpp"

#include <fedpp/federated.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Model = fedpp::nn::Sequential<double>;
using Dataset = fedpp::data::Dataset<double>;
using fedpp::federated::FederatedAveraging;

constexpr std::size_t client_count = 5;

Dataset blobs(std::size_t n, std::uint64_t seed) { return synthetic::points<double>(n, seed); }

std::vector<Dataset> client_sets() { return synthetic::growing_client_sets<double>(client_count, 100); }

Model small_mlp() { return synthetic::small_mlp<double>(7); }

fedpp::federated::Config config_of(std::size_t rounds) {
    fedpp::federated::Config config;
    config.rounds = rounds;
    config.client_fraction = 0.6;
    config.local.epochs = 2;
    config.local.batch_size = 4;
    config.local.learning_rate = 0.05;
    config.seed = 31;
    config.threads = 2;
    return config;
}

std::string client_name(std::size_t k) { return "client-" + std::to_string(k); }

/// The aggregator and the clients, each a server with its own data.
struct Federation {
    /// private_noise: the aggregator's Policy::private_noise.
    explicit Federation(bool private_noise = true)
        : aggregator(std::in_place, aggregator_policy(private_noise)) {
        const auto sets = client_sets();
        for (std::size_t k = 0; k < client_count; ++k) {
            clients.emplace_back(std::in_place, network::data_owner(client_name(k), {"aggregator"}),
                                 fedpp::grpc::Peers{{"aggregator", aggregator->address()}});
            clients.back()->host.publish("train", sets[k]);
            client_addresses.push_back(clients.back()->address());
        }
    }

    static fedpp::party::Policy aggregator_policy(bool private_noise) {
        auto policy = network::aggregator("aggregator");
        policy.private_noise = private_noise;
        return policy;
    }

    /// What the model owner needs: a transport to every party (a stopped
    /// client at the address it had).
    fedpp::federated::RemoteParties remote() const {
        fedpp::grpc::Peers peers{{"aggregator", aggregator->address()}};
        fedpp::federated::RemoteParties remote;
        for (std::size_t k = 0; k < client_count; ++k) {
            peers[client_name(k)] = client_addresses[k];
            remote.clients.push_back(client_name(k));
        }
        remote.transport =
            std::make_unique<fedpp::grpc::GrpcTransport>("me", network::credentials_of("me"), peers, network::quick());
        return remote;
    }

    /// Party `party` goes away, and comes back at the same address (with
    /// its data, loaded again).
    static void stop(std::optional<network::Party>& party) { party.reset(); }
    void restart_client(std::size_t k, const std::string& address) {
        restart_client(k, address, network::data_owner(client_name(k), {"aggregator"}));
    }
    /// The same, with `policy`.
    void restart_client(std::size_t k, const std::string& address, fedpp::party::Policy policy) {
        clients[k].emplace(std::move(policy), fedpp::grpc::Peers{{"aggregator", aggregator->address()}}, address);
        clients[k]->host.publish("train", client_sets()[k]);
    }
    /// Client k stops and starts again at its address, with `policy`.
    void replace_client(std::size_t k, fedpp::party::Policy policy) {
        const std::string address = clients[k]->address();
        stop(clients[k]);
        restart_client(k, address, std::move(policy));
    }

    std::optional<network::Party> aggregator;
    std::deque<std::optional<network::Party>> clients; // parties do not move
    std::vector<std::string> client_addresses;
};

fedpp::Bytes bytes_of(const Model& model) { return fedpp::to_bytes(model); }

/// Runs `rounds` rounds of `ours` and of `theirs`, one after the other:
/// each round the same clients selected and none of ours failing; then the
/// same model, bitwise, and the same epsilon.
void check_go_on_alike(FederatedAveraging<Model>& ours, FederatedAveraging<Model>& theirs, int rounds) {
    for (int round = 0; round < rounds; ++round) {
        const auto our_round = ours.run_round();
        const auto their_round = theirs.run_round();
        CHECK(our_round.clients_selected == their_round.clients_selected);
        CHECK(our_round.failures.empty());
    }
    CHECK(bytes_of(ours.global_model()) == bytes_of(theirs.global_model()));
    CHECK(ours.epsilon() == theirs.epsilon());
}

} // namespace

TEST_CASE("the driver over the network equals the driver in one process, bitwise", "[network]") {
    Federation parties;
    FederatedAveraging<Model> in_process(small_mlp(), client_sets(), blobs(60, 9), config_of(4));
    FederatedAveraging<Model> networked(small_mlp(), parties.remote(), blobs(60, 9), config_of(4));
    CHECK(networked.client_sizes() == in_process.client_sizes());
    const auto expected = in_process.run();
    const auto metrics = networked.run();
    REQUIRE(metrics.size() == expected.size());
    for (std::size_t r = 0; r < metrics.size(); ++r) {
        CHECK(metrics[r].failures.empty());
        CHECK(metrics[r].train_loss == expected[r].train_loss);
        CHECK(metrics[r].test_accuracy == expected[r].test_accuracy);
    }
    CHECK(bytes_of(networked.global_model()) == bytes_of(in_process.global_model()));
    // Every party's own account: the clients sent the model owner scalars
    // only (losses, counts), and their models to the aggregator only; the
    // aggregator sent the model owner aggregates and scalars only.
    for (const auto& client : parties.clients) {
        CHECK(client->log.empty());
        for (const auto& line : client->host.traffic().lines()) {
            if (line.direction == "out") {
                CHECK((line.peer == "aggregator" || line.type == "f64" || line.type == "i64"));
            }
        }
    }
    CHECK(parties.aggregator->log.empty());
    for (const auto& line : parties.aggregator->host.traffic().lines()) {
        if (line.direction == "out") {
            CHECK(line.peer == "me");
            CHECK(line.type == fedpp::Codec<fedpp::Aggregate<Model>>::type_name());
        }
    }
}

TEST_CASE("DP-FedAvg over the network equals DP-FedAvg in one process, bitwise, and no client's loss or "
          "clipping indicator reaches the model owner",
          "[network][dp]") {
    const bool adaptive = GENERATE(false, true);
    CAPTURE(adaptive);
    auto config = config_of(4);
    config.dp = fedpp::federated::DpConfig{};
    config.dp->noise_multiplier = 0.2; // adaptive: under twice the count's noise (3 clients a round expected)
    config.dp->estimator = fedpp::privacy::Estimator::weighted; // clients of 8 to 28 examples: 0.4 to 1
    config.dp->weight_cap = 20;
    if (adaptive) { // from its own initial norm
        config.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
    } else {
        config.dp->clip_norm = 0.5;
    }
    Federation parties(/*private_noise=*/false); // the noise from the run's seed alone, to compare
    FederatedAveraging<Model> in_process(small_mlp(), client_sets(), blobs(60, 9), config);
    FederatedAveraging<Model> networked(small_mlp(), parties.remote(), blobs(60, 9), config);
    const auto expected = in_process.run();
    const auto metrics = networked.run();
    REQUIRE(metrics.size() == expected.size());
    std::size_t aggregated = 0;
    for (std::size_t r = 0; r < metrics.size(); ++r) {
        CHECK(metrics[r].failures.empty());
        CHECK(metrics[r].clients_selected == expected[r].clients_selected);
        CHECK(metrics[r].aggregated == expected[r].aggregated);
        CHECK(metrics[r].clip_norm == expected[r].clip_norm);
        CHECK(metrics[r].test_loss == expected[r].test_loss);
        CHECK(metrics[r].epsilon == expected[r].epsilon);
        aggregated += metrics[r].aggregated ? 1 : 0;
    }
    CHECK(aggregated > 0); // a run that released nothing would compare nothing
    CHECK(networked.epsilon() == in_process.epsilon());
    CHECK(bytes_of(networked.global_model()) == bytes_of(in_process.global_model()));
    // The clients sent the model owner their example counts only (a DP
    // client's loss is not covered by the accountant, and its clipping
    // indicator goes to the aggregator); the aggregator sent aggregates only.
    for (const auto& client : parties.clients) {
        CHECK(client->log.empty());
        for (const auto& line : client->host.traffic().lines()) {
            if (line.direction == "out") {
                CAPTURE(line.peer, line.type);
                CHECK((line.peer == "aggregator" || line.type == "i64"));
            }
        }
    }
    CHECK(parties.aggregator->log.empty());
    for (const auto& line : parties.aggregator->host.traffic().lines()) {
        if (line.direction == "out") {
            CAPTURE(line.type);
            CHECK(line.peer == "me");
            CHECK((line.type == fedpp::Codec<fedpp::Aggregate<Model>>::type_name() ||
                   line.type == fedpp::Codec<fedpp::Aggregate<fedpp::privacy::AdaptiveClipping>>::type_name()));
        }
    }
}

TEST_CASE("an aggregator draws DP noise with a secret of its own: the model owner, who knows the run's seed, "
          "cannot recompute it",
          "[network][dp]") {
    auto config = config_of(3);
    config.client_fraction = 1.0; // every client, every round: each round is released
    config.dp = fedpp::federated::DpConfig{};
    config.dp->clip_norm = 0.5;
    config.dp->noise_multiplier = 0.5;
    FederatedAveraging<Model> in_process(small_mlp(), client_sets(), blobs(60, 9), config);
    in_process.run(); // what the model owner can compute from the seed
    std::vector<fedpp::Bytes> models;
    for (int start = 0; start < 2; ++start) { // two aggregator processes, each with its secret
        Federation parties;
        FederatedAveraging<Model> networked(small_mlp(), parties.remote(), blobs(60, 9), config);
        const auto metrics = networked.run();
        for (const auto& m : metrics) {
            CHECK(m.aggregated);
        }
        CHECK(networked.epsilon() == in_process.epsilon()); // the same mechanism, accounted the same
        models.push_back(bytes_of(networked.global_model()));
        CHECK(models.back() != bytes_of(in_process.global_model()));
    }
    CHECK(models[0] != models[1]);
}

TEST_CASE("a client that goes away mid-run is left out with the reason, and rejoins when it is back",
          "[network]") {
    Federation parties;
    auto config = config_of(6);
    config.client_fraction = 1.0; // every client, every round
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    CHECK(run.run_round().failures.empty());

    const std::string address = parties.clients[2]->address();
    Federation::stop(parties.clients[2]);
    const auto without = run.run_round();
    CHECK(without.aggregated);
    CHECK(without.clients_aggregated == client_count - 1);
    REQUIRE(without.failures.size() == 1);
    CHECK(without.failures.front().client == 2);
    CHECK_THAT(without.failures.front().reason, Catch::Contains("client-2"));

    parties.restart_client(2, address);
    network::wait_for_reconnection();
    const auto back = run.run_round();
    CHECK(back.failures.empty());
    CHECK(back.clients_aggregated == client_count);
}

TEST_CASE("a client that cannot be reached when a run starts is left out of the run, with the reason; a run "
          "resumes with the clients of the run that saved its state",
          "[network]") {
    Federation parties;
    auto config = config_of(3);
    config.client_fraction = 1.0; // every client with data, every round
    FederatedAveraging<Model> all(small_mlp(), parties.remote(), blobs(60, 9), config);
    CHECK(all.unreachable_clients().empty()); // the twin: every client reached
    CHECK(all.run_round().clients_aggregated == client_count);

    Federation::stop(parties.clients[3]);
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    REQUIRE(run.unreachable_clients().size() == 1);
    CHECK(run.unreachable_clients().front().client == 3);
    CHECK_THAT(run.unreachable_clients().front().reason, Catch::Contains("client-3"));
    CHECK(run.client_sizes()[3] == 0);
    CHECK(run.client_sizes()[2] == all.client_sizes()[2]);
    const auto round = run.run_round();
    CHECK(round.aggregated);
    CHECK(round.clients_selected == client_count - 1);
    CHECK(round.clients_aggregated == client_count - 1);
    CHECK(round.failures.empty());
    // The state of a run without client 3, resumed by one that reaches it: client 3 is left out, as it was
    // in the run that saved it, and the two go on alike, bitwise.
    parties.restart_client(3, parties.client_addresses[3]);
    network::wait_for_reconnection();
    FederatedAveraging<Model> resumed(small_mlp(), parties.remote(), blobs(60, 9), config);
    CHECK(resumed.unreachable_clients().empty());
    resumed.restore(run.state());
    REQUIRE(resumed.unreachable_clients().size() == 1);
    CHECK(resumed.unreachable_clients().front().client == 3);
    CHECK_THAT(resumed.unreachable_clients().front().reason, Catch::Contains("left out when the resumed state"));
    CHECK(resumed.client_sizes() == run.client_sizes());
    // Restored again, from the full run's state: it starts from the clients it reached itself, client 3 too.
    resumed.restore(all.state());
    CHECK(resumed.unreachable_clients().empty());
    CHECK(resumed.client_sizes() == all.client_sizes());
    CHECK(resumed.run_round().clients_selected == all.run_round().clients_selected);
    CHECK(bytes_of(resumed.global_model()) == bytes_of(all.global_model()));
    resumed.restore(run.state()); // and back
    REQUIRE(resumed.unreachable_clients().size() == 1);
    const auto ours = resumed.run_round();
    const auto theirs = run.run_round();
    CHECK(ours.clients_selected == theirs.clients_selected);
    CHECK(bytes_of(resumed.global_model()) == bytes_of(run.global_model()));
    CHECK(resumed.retry_unreachable() == std::vector<std::size_t>{3}); // asked again, it takes part
    CHECK(resumed.client_sizes() == all.client_sizes());
    // The full run's state, resumed without client 3: client 3 keeps the count the full run had.
    Federation::stop(parties.clients[3]);
    FederatedAveraging<Model> without(small_mlp(), parties.remote(), blobs(60, 9), config);
    without.restore(all.state());
    CHECK(without.client_sizes() == all.client_sizes());
    REQUIRE(without.unreachable_clients().size() == 1);
    CHECK_THAT(without.unreachable_clients().front().reason, Catch::Contains("client-3"));
    // A state read from format 3 (a fingerprint of the counts alone) is compared with the counts this run
    // learned itself, not those the last resume gave it: the state of the run without client 3 fits.
    auto fingerprint_only = run.state();
    fingerprint_only.setup.clients.clear();
    without.restore(fingerprint_only);
    CHECK(without.client_sizes()[3] == 0);
    without.restore(all.state());
    // Back with fewer examples, it is not the client the run counted: it stays out, saying why.
    const auto own = client_sets()[3];
    std::vector<fedpp::Index> half(static_cast<std::size_t>(own.size() / 2));
    std::iota(half.begin(), half.end(), fedpp::Index{0});
    parties.clients[3].emplace(network::data_owner(client_name(3), {"aggregator"}),
                               fedpp::grpc::Peers{{"aggregator", parties.aggregator->address()}},
                               parties.client_addresses[3]);
    parties.clients[3]->host.publish("train", own.subset(half));
    network::wait_for_reconnection();
    CHECK(without.retry_unreachable().empty());
    CHECK_THAT(without.unreachable_clients().front().reason,
               Catch::Contains("examples now") && Catch::Contains("when the run counted it"));
    parties.restart_client(3, parties.client_addresses[3]); // the twin: its own data, and it takes part
    network::wait_for_reconnection();
    CHECK(without.retry_unreachable() == std::vector<std::size_t>{3});
    // Too few left to aggregate: no run, and the message says why.
    for (std::size_t k = 0; k + 1 < client_count; ++k) {
        Federation::stop(parties.clients[k]);
    }
    CHECK_THROWS_WITH(FederatedAveraging<Model>(small_mlp(), parties.remote(), blobs(60, 9), config),
                      Catch::Contains("fewer than min_clients") &&
                          Catch::Contains("4 clients left out: unreachable or refusing when the run started"));
}

TEST_CASE("a client unreachable when a run starts joins it once tried again and reached, and the run then goes "
          "on as one that reached it at the start, bitwise (plain and DP); DP with adaptive clipping leaves it out",
          "[network]") {
    const int kind = GENERATE(0, 1, 2); // plain; DP; DP with adaptive clipping
    CAPTURE(kind);
    auto config = config_of(3);
    if (kind > 0) {
        config.dp = fedpp::federated::DpConfig{};
        config.dp->noise_multiplier = 0.2; // adaptive: under twice the count's noise (3 clients a round expected)
        if (kind == 2) {
            config.dp->adaptive = fedpp::privacy::AdaptiveClippingConfig{};
        } else {
            config.dp->clip_norm = 0.5;
        }
    }
    Federation parties(/*private_noise=*/false); // the noise from the run's seed alone, to compare
    FederatedAveraging<Model> reference(small_mlp(), client_sets(), blobs(60, 9), config); // every client
    reference.run_round();

    Federation::stop(parties.clients[3]);
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    REQUIRE(run.unreachable_clients().size() == 1);
    run.run_round();
    if (kind == 2) { // not even once it is back: it stays out, saying why
        parties.restart_client(3, parties.client_addresses[3]);
        network::wait_for_reconnection();
        CHECK(run.retry_unreachable().empty());
        REQUIRE(run.unreachable_clients().size() == 1);
        CHECK_THAT(run.unreachable_clients().front().reason,
                   Catch::Contains("adaptive clipping cannot take in clients reached after its start"));
        CHECK(run.client_sizes()[3] == 0);
        return;
    }
    CHECK(run.retry_unreachable().empty()); // the twin: still away, so still out, with the reason
    REQUIRE(run.unreachable_clients().size() == 1);
    CHECK_THAT(run.unreachable_clients().front().reason, Catch::Contains("client-3"));
    run.restore(reference.state()); // resumed without client 3, which keeps the count the reference had
    CHECK(run.client_sizes() == reference.client_sizes());
    REQUIRE(run.unreachable_clients().size() == 1);

    parties.restart_client(3, parties.client_addresses[3]);
    network::wait_for_reconnection();
    CHECK(run.retry_unreachable() == std::vector<std::size_t>{3});
    CHECK(run.unreachable_clients().empty());
    CHECK(run.client_sizes() == reference.client_sizes());
    run.restore(reference.state()); // now the same clients: the rounds after it are the reference's
    check_go_on_alike(run, reference, 2);
}

TEST_CASE("a client that refuses the model owner when a run starts (its budget of released scalars spent) is left "
          "out with the reason, as one that cannot be reached",
          "[network]") {
    Federation parties;
    auto spent = network::data_owner(client_name(1), {"aggregator"});
    spent.max_released_scalars = 2;
    spent.released_scalars_before = 2; // its operator carried the count over
    parties.replace_client(1, spent);
    auto config = config_of(2);
    config.client_fraction = 1.0;
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    REQUIRE(run.unreachable_clients().size() == 1);
    CHECK(run.unreachable_clients().front().client == 1);
    CHECK_THAT(run.unreachable_clients().front().reason, Catch::Contains("Policy::max_released_scalars"));
    const auto round = run.run_round();
    CHECK(round.aggregated);
    CHECK(round.clients_aggregated == client_count - 1);
    // The twin: within its budget, it takes part.
    spent.released_scalars_before = 0;
    parties.replace_client(1, spent);
    network::wait_for_reconnection();
    CHECK(run.retry_unreachable() == std::vector<std::size_t>{1});
    CHECK(run.run_round().clients_aggregated == client_count);
    CHECK(parties.clients[1]->host.released_scalars() == 2); // its example count, and its loss
}

TEST_CASE("a client that refuses in a round (its budget of released updates spent) is left out of the later "
          "rounds, and a round that could not be aggregated trains no one",
          "[network]") {
    Federation parties;
    auto limited = network::data_owner(client_name(1), {"aggregator"});
    limited.max_released_updates = 1;
    parties.replace_client(1, limited);
    auto config = config_of(4);
    config.client_fraction = 1.0;
    config.min_clients = client_count; // every client's update, or no round
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    CHECK(run.run_round().aggregated); // client 1's one update

    const auto refused = run.run_round();
    REQUIRE(refused.failures.size() == 1);
    CHECK(refused.failures.front().client == 1);
    CHECK(refused.failures.front().refused);
    CHECK_THAT(refused.failures.front().reason, Catch::Contains("Policy::max_released_updates"));
    CHECK_FALSE(refused.aggregated);
    REQUIRE(run.unreachable_clients().size() == 1); // it would refuse again: out of the later rounds
    CHECK(run.unreachable_clients().front().client == 1);
    const auto spent_before = parties.clients[0]->host.released_updates();

    const auto later = run.run_round(); // 4 clients left, 5 needed: none trains, none spends
    CHECK(later.clients_selected == client_count - 1);
    CHECK(later.failures.empty());
    CHECK_FALSE(later.aggregated);
    CHECK_THAT(later.round_error, Catch::Contains("only 4 clients were selected, min_clients is 5: none trained"));
    CHECK(parties.clients[0]->host.released_updates() == spent_before);
    // Tried again, it still runs nothing on its data: it stays out.
    CHECK(run.retry_unreachable().empty());
    CHECK_THAT(run.unreachable_clients().front().reason, Catch::Contains("Policy::max_released_updates"));
}

TEST_CASE("a run resumes from a state saved after a client was set aside (its budget of released updates spent), "
          "though that client now refuses from the start, and goes on bitwise as the run that saved it (plain and "
          "DP)",
          "[network]") {
    const bool dp = GENERATE(false, true);
    CAPTURE(dp);
    Federation parties(/*private_noise=*/false); // DP: the noise from the run's seed alone, to compare
    auto limited = network::data_owner(client_name(1), {"aggregator"});
    limited.max_released_updates = 1;
    parties.replace_client(1, limited);
    auto config = config_of(4);
    config.client_fraction = dp ? 0.8 : 1.0;
    if (dp) {
        config.dp = fedpp::federated::DpConfig{};
        config.dp->clip_norm = 0.5;
        config.dp->noise_multiplier = 0.2;
        config.dp->estimator = fedpp::privacy::Estimator::weighted; // client 1's weight 13 / 20
        config.dp->weight_cap = 20;
    }
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config);
    for (int round = 0; round < 3 && run.unreachable_clients().empty(); ++round) {
        run.run_round(); // until client 1 has spent its one update and is refused
    }
    REQUIRE(run.unreachable_clients().size() == 1);
    const auto state = run.state();
    REQUIRE(state.setup.clients[1] == fedpp::federated::ClientRecord{run.client_sizes()[1], true});

    FederatedAveraging<Model> resumed(small_mlp(), parties.remote(), blobs(60, 9), config);
    REQUIRE(resumed.unreachable_clients().size() == 1); // it refuses even its example count now
    CHECK(resumed.client_sizes()[1] == 0);
    resumed.restore(state); // before format 4, refused: "the clients' example counts differ"
    CHECK(resumed.client_sizes() == run.client_sizes()); // a DP run weighs client 1 as the run that saved it
    check_go_on_alike(resumed, run, 2);
    if (dp) { // Records of clients none of which had data cannot be weighed: refused, the run unchanged.
        auto none = run.state();
        for (auto& client : none.setup.clients) {
            client = {0, true};
        }
        const auto model = bytes_of(resumed.global_model());
        CHECK_THROWS_MATCHES(resumed.restore(none), fedpp::CheckpointMismatchError,
                             Catch::Matchers::Predicate<std::exception>([](const std::exception& e) {
                                 return std::string(e.what()).find("its clients cannot be weighed") !=
                                        std::string::npos;
                             }));
        CHECK(bytes_of(resumed.global_model()) == model);
        CHECK(resumed.client_sizes() == run.client_sizes());
    }
    // The twin: a client counted by both runs, with another count, is another partition: refused.
    auto other = run.state();
    ++other.setup.clients[2].examples;
    CHECK_THROWS_WITH(resumed.restore(other), Catch::Contains("client 2 has"));
}

TEST_CASE("an aggregator that goes away fails the round with a NetworkError, the model unchanged; back, the next "
          "round succeeds",
          "[network]") {
    Federation parties;
    FederatedAveraging<Model> run(small_mlp(), parties.remote(), blobs(60, 9), config_of(5));
    CHECK(run.run_round().aggregated);
    const auto before = bytes_of(run.global_model());

    const std::string address = parties.aggregator->address();
    Federation::stop(parties.aggregator);
    CHECK_THROWS_AS(run.run_round(), fedpp::NetworkError);
    CHECK(bytes_of(run.global_model()) == before);
    CHECK(run.rounds_done() == 1);

    parties.aggregator.emplace(network::aggregator("aggregator"), fedpp::grpc::Peers{}, address);
    network::wait_for_reconnection();
    const auto next = run.run_round();
    CHECK(next.aggregated);
    CHECK(run.rounds_done() == 2);
    CHECK(bytes_of(run.global_model()) != before);
}

TEST_CASE("a model owner that restarts resumes from its checkpoint and ends bitwise as an uninterrupted run; what "
          "it left behind is reclaimed",
          "[network]") {
    Federation parties;
    const auto checkpoint = std::filesystem::temp_directory_path() / "fedpp_network_resume.ckpt";
    std::filesystem::remove(checkpoint);
    FederatedAveraging<Model> uninterrupted(small_mlp(), client_sets(), blobs(60, 9), config_of(6));
    uninterrupted.run();

    auto config = config_of(6);
    config.checkpoint_path = checkpoint.string();
    {
        FederatedAveraging<Model> first(small_mlp(), parties.remote(), blobs(60, 9), config);
        first.run_round();
        first.run_round();
        fedpp::save_checkpoint(config.checkpoint_path, first.state());
        first.run_round(); // lost: the model owner "dies" before saving it
    }
    FederatedAveraging<Model> second(small_mlp(), parties.remote(), blobs(60, 9), config);
    second.resume_from(config.checkpoint_path);
    CHECK(second.rounds_done() == 2);
    second.run();
    CHECK(bytes_of(second.global_model()) == bytes_of(uninterrupted.global_model()));
    std::filesystem::remove(checkpoint);
}

TEST_CASE("what a vanished model owner left at a party is reclaimed when its lease expires; a live one renews "
          "its lease",
          "[network]") {
    auto policy = network::aggregator("aggregator");
    policy.lease = std::chrono::milliseconds(1500);
    network::Party aggregator(policy);
    const fedpp::Bytes bytes = fedpp::to_bytes(fedpp::WeightedSum<Model>(small_mlp()));
    {
        auto options = network::quick();
        options.renew_every = std::chrono::milliseconds(100);
        fedpp::grpc::GrpcTransport transport("me", network::credentials_of("me"),
                                             fedpp::grpc::Peers{{"aggregator", aggregator.address()}}, options);
        transport.attach(1, "aggregator", true);
        const auto& type = fedpp::detail::value_type<fedpp::WeightedSum<Model>>();
        CHECK(transport.deliver(fedpp::Request::store(fedpp::model_owner_id, 1, type, bytes)).object != 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(2500)); // idle, longer than the lease
        CHECK(aggregator.host.object_count() == 1);                   // kept: the transport renewed it
    } // gone without deleting its object, as a killed process
    // Reclaimed once the lease has expired (checked every 50 ms; a loaded
    // machine may be late, so up to 20 s).
    const auto gone = std::chrono::steady_clock::now();
    while (aggregator.host.object_count() != 0 && std::chrono::steady_clock::now() - gone < std::chrono::seconds(20)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(aggregator.host.object_count() == 0);
    CHECK(std::chrono::steady_clock::now() - gone >= std::chrono::milliseconds(1400)); // not before the lease
}
