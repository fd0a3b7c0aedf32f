// Secure aggregation: what the server learns, and what an honest client
// refuses to reveal.
#include "secure_aggregation_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>

using namespace fedpp;
using namespace fedpp::secagg;

namespace {

Config small_config(std::uint32_t n, std::size_t length) {
    Config config;
    config.clients = n;
    config.degree = n - 1;
    config.threshold = majority_threshold(n - 1);
    config.vector_length = length;
    config.session_id.fill(7);
    return config;
}

/// Clients and a server driven by hand, every message through its codec.
struct ManualSession {
    Config config;
    Server server;
    std::vector<std::unique_ptr<SeededRandom>> random;
    std::vector<Client> clients;

    explicit ManualSession(std::uint32_t n, std::size_t length = 8)
        : config(small_config(n, length)), server(config, NeighbourGraph::complete(n)) {
        for (ClientId c = 0; c < n; ++c) {
            random.push_back(std::make_unique<SeededRandom>(500 + c));
            clients.emplace_back(config, c, *random.back());
            clients.back().set_input(std::vector<std::uint32_t>(length, c + 1));
        }
    }

    static ServerMessage through_codec(const ServerMessage& m) { return from_bytes<ServerMessage>(to_bytes(m)); }
    static ClientMessage through_codec(const ClientMessage& m) { return from_bytes<ClientMessage>(to_bytes(m)); }

    /// Delivers each message and hands the replies to the server.
    void deliver(const std::vector<Addressed<ServerMessage>>& out) {
        for (const auto& [to, message] : out) {
            if (auto reply = clients[to].handle(through_codec(message))) {
                server.receive(to, through_codec(*reply));
            }
        }
    }

    /// Rounds 0 to 2 with every client; returns the unmasking requests.
    std::vector<Addressed<ServerMessage>> run_to_unmasking() {
        for (auto& client : clients) {
            server.receive(client.id(), through_codec(client.start()));
        }
        deliver(server.close_round()); // share keys
        deliver(server.close_round()); // masked inputs
        return server.close_round();
    }
};

bool has_shares(const std::optional<ClientMessage>& reply) {
    if (!reply) {
        return false;
    }
    const auto* response = std::get_if<UnmaskingResponse>(&*reply);
    return response != nullptr && !response->shares.empty();
}

std::vector<std::uint32_t> words_of(const Bytes& bytes) {
    const auto message = from_bytes<ClientMessage>(bytes);
    return std::get<MaskedInput>(message).words;
}

} // namespace

TEST_CASE("secagg: an honest client never reveals both shares of one peer", "[secagg][privacy]") {
    ManualSession s(4);
    const auto requests = s.run_to_unmasking();
    REQUIRE(requests.size() == 4);
    const auto& request = std::get<UnmaskingRequest>(requests[0].message);
    CHECK(request.dropped.empty());
    REQUIRE(request.survivors == std::vector<ClientId>{1, 2, 3});

    SECTION("a request naming a peer both as dropped and as a survivor is refused") {
        UnmaskingRequest both = request;
        both.dropped.push_back(1);
        const auto reply = s.clients[0].handle(both);
        REQUIRE(reply);
        REQUIRE(std::holds_alternative<Abort>(*reply));
        CHECK_THAT(std::get<Abort>(*reply).reason, Catch::Contains("both the self-mask share and the masking-key"));
        CHECK(s.clients[0].round() == ClientRound::aborted);
        // Aborted, it has erased its shares: asked again properly, it reveals nothing.
        CHECK_FALSE(has_shares(s.clients[0].handle(request)));
    }
    SECTION("after answering once, a second request (peer 1 'dropped') gets nothing") {
        const auto first = s.clients[0].handle(request);
        REQUIRE(has_shares(first));
        for (const auto& share : std::get<UnmaskingResponse>(*first).shares) {
            CHECK(share.kind == ShareKind::self_mask_seed);
        }
        CHECK(s.clients[0].round() == ClientRound::completed);
        const UnmaskingRequest second{{1}, {2, 3}};
        const auto reply = s.clients[0].handle(second);
        REQUIRE(reply);
        CHECK(std::holds_alternative<Abort>(*reply));
    }
    SECTION("it will not reveal its own masking key, nor answer a request that leaves out or adds a peer") {
        for (const UnmaskingRequest& bad : {UnmaskingRequest{{0}, {1, 2, 3}}, UnmaskingRequest{{}, {1, 2}},
                                            UnmaskingRequest{{}, {1, 2, 3, 3}}, UnmaskingRequest{{4}, {1, 2, 3}}}) {
            ManualSession fresh(4);
            fresh.run_to_unmasking();
            const auto reply = fresh.clients[0].handle(bad);
            REQUIRE(reply);
            CHECK(std::holds_alternative<Abort>(*reply));
            CHECK(fresh.clients[0].round() == ClientRound::aborted);
        }
    }
    SECTION("answered honestly, the server completes") {
        s.deliver(requests);
        s.server.close_round();
        const auto& sum = s.server.result();
        CHECK(sum.words == std::vector<std::uint32_t>(8, 1 + 2 + 3 + 4));
    }
}

TEST_CASE("secagg: a self-mask share off its owner's polynomial is refused, never unmasking a wrong sum",
          "[secagg][privacy]") {
    // The server rebuilds each seed from the t shares of the smallest x and
    // checks them against the next one: whichever of those t + 1 is wrong,
    // it refuses; a share after them is not read, and changes nothing.
    const std::vector<std::uint32_t> exact(8, 1 + 2 + 3 + 4 + 5);
    std::size_t refused = 0;
    for (ClientId liar = 0; liar < 5; ++liar) {
        CAPTURE(liar);
        ManualSession s(5);
        REQUIRE(s.config.threshold == 3);
        ClientId owner = 0;
        std::vector<std::uint32_t> holders; // the x of each share of that owner's seed
        std::vector<std::pair<ClientId, ClientMessage>> replies;
        for (const auto& [to, message] : s.run_to_unmasking()) {
            auto reply = s.clients[to].handle(ManualSession::through_codec(message));
            REQUIRE(reply);
            replies.emplace_back(to, *reply);
        }
        for (auto& [from, reply] : replies) {
            if (from == liar) {
                auto& share = std::get<UnmaskingResponse>(reply).shares.front();
                REQUIRE(share.kind == ShareKind::self_mask_seed);
                share.values[0] = static_cast<std::uint32_t>((share.values[0] + 1) % ShamirSecretSharing::prime);
                owner = share.owner;
            }
        }
        for (const auto& [from, reply] : replies) {
            for (const auto& share : std::get<UnmaskingResponse>(reply).shares) {
                if (share.owner == owner && share.kind == ShareKind::self_mask_seed) {
                    holders.push_back(from + 1);
                }
            }
            s.server.receive(from, ManualSession::through_codec(reply));
        }
        std::sort(holders.begin(), holders.end());
        REQUIRE(holders.size() > s.config.threshold);
        const bool read = liar + 1 <= holders[s.config.threshold];
        s.server.close_round();
        if (read) {
            ++refused;
            try {
                (void)s.server.result();
                FAIL("a sum was unmasked with a wrong share");
            } catch (const SecureAggregationError& e) {
                CHECK(e.failure() == Failure::inconsistent_shares);
                CHECK_THAT(std::string(e.what()),
                           Catch::Contains("self-mask seed") && Catch::Contains("does not lie on the polynomial"));
            }
        } else {
            CHECK(s.server.result().words == exact);
        }
    }
    CHECK(refused >= 4); // (the test measures something)
    // The twin: the same shares, honest, unmask the exact sum.
    ManualSession s(5);
    s.deliver(s.run_to_unmasking());
    s.server.close_round();
    CHECK(s.server.result().words == exact);
}

TEST_CASE("secagg: a client aborts on shares that do not decrypt, and the others finish without it", "[secagg][privacy]") {
    ManualSession s(5);
    for (auto& client : s.clients) {
        s.server.receive(client.id(), client.start());
    }
    s.deliver(s.server.close_round());
    auto requests = s.server.close_round(); // masked-input requests, carrying the sealed shares
    auto& tampered = std::get<MaskedInputRequest>(requests[2].message);
    tampered.shares[0].ciphertext[5] ^= 0x01;
    s.deliver(requests);
    CHECK(s.clients[2].round() == ClientRound::aborted);
    CHECK_THAT(s.clients[2].abort_reason(), Catch::Contains("do not decrypt"));
    s.deliver(s.server.close_round());
    s.server.close_round();
    const auto& sum = s.server.result();
    CHECK(sum.contributors == std::vector<ClientId>{0, 1, 3, 4});
    CHECK(sum.words == std::vector<std::uint32_t>(8, 1 + 2 + 4 + 5));
    REQUIRE(s.server.rejected().size() == 1); // client 2's Abort
    CHECK(s.server.rejected()[0].first == 2);
}

TEST_CASE("secagg: the server ignores malformed messages and the client that sent them", "[secagg][privacy]") {
    ManualSession s(5);
    for (auto& client : s.clients) {
        s.server.receive(client.id(), client.start());
    }
    s.server.receive(3, ShareKeysResponse{}); // wrong round
    s.server.receive(9, AdvertiseKeys{});     // no such client
    s.deliver(s.server.close_round());
    auto requests = s.server.close_round();
    REQUIRE(requests.size() == 4); // client 3 is out
    for (const auto& [to, message] : requests) {
        if (to == 1) {
            s.server.receive(1, MaskedInput{std::vector<std::uint32_t>(7, 0)}); // one word short
            continue;
        }
        s.server.receive(to, *s.clients[to].handle(message));
    }
    s.deliver(s.server.close_round());
    s.server.close_round();
    const auto& sum = s.server.result();
    CHECK(sum.contributors == std::vector<ClientId>{0, 2, 4});
    CHECK(sum.words == std::vector<std::uint32_t>(8, 1 + 3 + 5));
    CHECK(s.server.rejected().size() == 2);
}

TEST_CASE("secagg: what the server sees of a client depends on its input only through the sum", "[secagg][privacy]") {
    // Two runs with the same randomness everywhere; only client 0's input
    // differs. Every byte the server receives is the same, except client 0's
    // masked input, which differs by exactly the change of input (a one-time
    // pad); the unmasked sums differ by the same amount.
    const std::uint32_t n = 6;
    const std::size_t length = 20'000;
    Config config = small_config(n, length);
    std::mt19937 gen(9);
    std::vector<std::vector<std::uint32_t>> inputs(n, std::vector<std::uint32_t>(length));
    for (auto& input : inputs) {
        for (auto& w : input) {
            w = gen() % 1000;
        }
    }
    auto other_inputs = inputs;
    std::fill(other_inputs[0].begin(), other_inputs[0].end(), 0u); // client 0: all zeros, the least random input
    auto run = [&](const std::vector<std::vector<std::uint32_t>>& in) {
        LocalSession session(config, NeighbourGraph::complete(n), test::seeded_clients(77));
        LocalSessionOptions options;
        options.drop_round = {4, 4, 4, 2, 4, 4}; // client 3 drops out: its pairwise masks are revealed
        options.record_server_view = true;
        return session.run([&](ClientId c) { return in[c]; }, options);
    };
    const auto a = run(inputs);
    const auto b = run(other_inputs);
    REQUIRE(a.server_view.size() == b.server_view.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < a.server_view.size(); ++i) {
        REQUIRE(a.server_view[i].first == b.server_view[i].first);
        if (a.server_view[i].second == b.server_view[i].second) {
            continue;
        }
        ++differing;
        REQUIRE(a.server_view[i].first == 0);
        const auto ya = words_of(a.server_view[i].second);
        const auto yb = words_of(b.server_view[i].second);
        for (std::size_t j = 0; j < length; ++j) {
            REQUIRE(ya[j] - yb[j] == inputs[0][j] - other_inputs[0][j]);
        }
    }
    CHECK(differing == 1);
    REQUIRE(a.sum);
    REQUIRE(b.sum);
    for (std::size_t j = 0; j < length; ++j) {
        REQUIRE(a.sum->words[j] - b.sum->words[j] == inputs[0][j] - other_inputs[0][j]);
    }
}

TEST_CASE("secagg: masked inputs look uniform, even with the self mask removed", "[secagg][privacy]") {
    // Chi-square of the byte values against uniform, 255 degrees of freedom,
    // rejected above the 1e-6 quantile (~377). The raw encoded input fails it,
    // so the test can fail; the masked input passes; and so does what the
    // server holds of client 0 once it has rebuilt client 0's self-mask seed
    // from the unmasking shares: the input plus pairwise masks it cannot remove.
    const std::uint32_t n = 5;
    const std::size_t length = 50'000;
    const Config config = small_config(n, length);
    const FixedPointEncoding encoding({1.0, 16, 1.0});
    const std::vector<float> values(length - 1, 0.25f);
    const auto encoded = encoding.encode(std::span<const float>(values), 1.0);
    const double threshold = test::chi_square_255_threshold();
    CHECK(threshold == Approx(377.0).margin(2.0));
    CHECK(test::chi_square_of_bytes(test::bytes_of(encoded)) > threshold);

    LocalSession session(config, NeighbourGraph::complete(n), test::seeded_clients(5));
    LocalSessionOptions options;
    options.record_server_view = true;
    const auto report = session.run([&](ClientId) { return encoded; }, options);
    REQUIRE(report.sum);
    std::vector<std::uint32_t> masked;
    std::vector<ShamirShare> seed_shares;
    for (const auto& [from, bytes] : report.server_view) {
        const auto message = from_bytes<ClientMessage>(bytes);
        if (const auto* input = std::get_if<MaskedInput>(&message)) {
            CHECK(test::chi_square_of_bytes(test::bytes_of(input->words)) < threshold);
            if (from == 0) {
                masked = input->words;
            }
        } else if (const auto* response = std::get_if<UnmaskingResponse>(&message)) {
            for (const auto& share : response->shares) {
                if (share.owner == 0) {
                    seed_shares.push_back({from + 1, share.values});
                }
            }
        }
    }
    const Secret32 seed = ShamirSecretSharing::reconstruct_secret(seed_shares, config.threshold);
    AesCtrPrng(fedpp::detail::secagg::self_mask_key(seed, 0, config.session_id)).subtract_from(masked);
    CHECK(masked != encoded);
    CHECK(test::chi_square_of_bytes(test::bytes_of(masked)) < threshold);
}
