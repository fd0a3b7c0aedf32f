// Parties as gRPC servers in the test's own process (each its own Host and
// PartyServer on 127.0.0.1, on a port of its choosing), with certificates
// made by scripts/make_certificates.sh, and the model owner's transport.
#pragma once

#include <fedpp/fedpp.hpp>
#include <fedpp/grpc/server.hpp>
#include <fedpp/grpc/transport.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef FEDPP_TEST_CERTIFICATES
#define FEDPP_TEST_CERTIFICATES "certificates"
#endif

namespace network {

inline std::filesystem::path certificates() { return FEDPP_TEST_CERTIFICATES; }

inline fedpp::grpc::Credentials credentials_of(const std::string& name) {
    return {certificates() / (name + ".pem"), certificates() / (name + ".key"), certificates() / "ca.pem"};
}

/// Short timeouts, so that a test of a failure fails fast.
inline fedpp::grpc::ConnectionOptions quick() {
    fedpp::grpc::ConnectionOptions options;
    options.call_timeout = std::chrono::seconds(10);
    options.transfer_timeout = std::chrono::seconds(30);
    options.execute_timeout = std::chrono::seconds(60);
    return options;
}

/// A party served in this process.
struct Party {
    Party(fedpp::party::Policy policy, fedpp::grpc::Peers peers = {})
        : host(std::move(policy), [this](const std::string& line) { log.push_back(line); }),
          server(host, {"127.0.0.1:0", credentials_of(host.policy().name), std::move(peers), quick()}) {}

    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(server.port()); }

    std::vector<std::string> log; // the party's refusals
    fedpp::party::Host host;
    fedpp::grpc::PartyServer server;
};

inline fedpp::party::Policy data_owner(const std::string& name, std::set<std::string> trusted = {"secure_worker"}) {
    fedpp::party::Policy policy;
    policy.name = name;
    policy.role = fedpp::party::Role::data_owner;
    policy.trusted_aggregators = std::move(trusted);
    return policy;
}

inline fedpp::party::Policy aggregator(const std::string& name) {
    fedpp::party::Policy policy;
    policy.name = name;
    policy.role = fedpp::party::Role::aggregator;
    return policy;
}

/// The model owner's transport, to the given parties.
inline std::unique_ptr<fedpp::grpc::GrpcTransport> transport(const std::string& me,
                                                               const std::map<std::string, const Party*>& parties) {
    fedpp::grpc::Peers peers;
    for (const auto& [name, party] : parties) {
        peers[name] = party->address();
    }
    return std::make_unique<fedpp::grpc::GrpcTransport>(me, credentials_of(me), peers, quick());
}

} // namespace network
