// A small deterministic secure aggregation session (3 clients, complete
// graph, threshold 2) stopped in a chosen round, for the fuzz target and
// its seeds: the seeds are this session's real messages, so that mutated
// inputs reach the checks behind a successful decryption.
#pragma once

#include <fedpp/secure_aggregation.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace fuzzing {

struct SecureAggregationSession {
    fedpp::secagg::Config config;
    fedpp::secagg::Server server;
    std::vector<std::unique_ptr<fedpp::secagg::SeededRandom>> random;
    std::vector<fedpp::secagg::Client> clients;
    /// Client 0's honest answer to the round the server is collecting.
    fedpp::secagg::ClientMessage client0_answer;
    /// The server's message to client 0 in that round (rounds 1 to 3).
    std::optional<fedpp::secagg::ServerMessage> to_client0;

    static fedpp::secagg::Config make_config() {
        fedpp::secagg::Config config;
        config.clients = 3;
        config.degree = 2;
        config.threshold = 2;
        config.vector_length = 4;
        config.session_id.fill(3);
        return config;
    }

    /// Runs the session until the server collects round `round` (0 to 3):
    /// clients 1 and 2 have answered it, client 0 every round before it.
    explicit SecureAggregationSession(int round)
        : config(make_config()), server(config, fedpp::secagg::NeighbourGraph::complete(3)) {
        for (fedpp::secagg::ClientId c = 0; c < 3; ++c) {
            random.push_back(std::make_unique<fedpp::secagg::SeededRandom>(c + 1));
            clients.emplace_back(config, c, *random.back());
            clients.back().set_input({c, 1, 2, 3});
        }
        for (fedpp::secagg::ClientId c = 1; c < 3; ++c) {
            server.receive(c, clients[c].start());
        }
        client0_answer = clients[0].start();
        for (int r = 0; r < round; ++r) {
            server.receive(0, client0_answer);
            for (const auto& [to, message] : server.close_round()) {
                if (to == 0) {
                    to_client0 = message;
                } else if (auto reply = clients[to].handle(message)) {
                    server.receive(to, *reply);
                }
            }
            if (to_client0) {
                client0_answer = *clients[0].handle(*to_client0);
            }
        }
    }
};

} // namespace fuzzing
