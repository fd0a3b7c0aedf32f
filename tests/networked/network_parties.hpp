// Parties as gRPC servers in the test's own process (each its own Host and
// PartyServer on 127.0.0.1, on a port of its choosing), with certificates
// made by scripts/make_certificates.sh, and the model owner's transport.
#pragma once

#include <fedpp/fedpp.hpp>
#include <fedpp/grpc/server.hpp>
#include <fedpp/grpc/transport.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

/// A party that went away is tried again within a second (the transport's
/// reconnection backoff): a party that is back is reached after this.
inline void wait_for_reconnection() { std::this_thread::sleep_for(std::chrono::milliseconds(1200)); }

/// A party's log of refusals, written by its server's threads.
class Log {
public:
    void add(const std::string& line) {
        const std::lock_guard lock(mutex_);
        lines_.push_back(line);
    }
    [[nodiscard]] std::vector<std::string> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }
    [[nodiscard]] bool empty() const { return lines().empty(); }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

/// A party served in this process.
struct Party {
    /// Listens on `listen` (port 0: one of the system's choosing).
    /// `limits` adjusts the server's options (its threads, its streams' idle timeout).
    explicit Party(fedpp::party::Policy policy, fedpp::grpc::Peers peers = {},
                   const std::string& listen = "127.0.0.1:0",
                   const std::function<void(fedpp::grpc::ServerOptions&)>& limits = {})
        : host(std::move(policy), [this](const std::string& line) { log.add(line); }),
          server(host, options(listen, credentials_of(host.policy().name), std::move(peers), limits)) {}

    [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(server.port()); }

    static constexpr std::chrono::milliseconds reclaim_every{50};

    static fedpp::grpc::ServerOptions options(const std::string& listen, fedpp::grpc::Credentials credentials,
                                              fedpp::grpc::Peers peers,
                                              const std::function<void(fedpp::grpc::ServerOptions&)>& limits) {
        fedpp::grpc::ServerOptions options{listen, std::move(credentials), std::move(peers), quick(), reclaim_every};
        if (limits) {
            limits(options);
        }
        return options;
    }

    Log log; // the party's refusals
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

/// Secure aggregation's server, trusted with no single update.
inline fedpp::party::Policy sum_only_aggregator(const std::string& name) {
    fedpp::party::Policy policy;
    policy.name = name;
    policy.role = fedpp::party::Role::sum_only_aggregator;
    return policy;
}

/// A data owner whose masked updates and protocol messages go to
/// `sum_only`, and whose models go nowhere.
inline fedpp::party::Policy secure_data_owner(const std::string& name, std::set<std::string> sum_only) {
    fedpp::party::Policy policy = data_owner(name, {});
    policy.sum_only_aggregators = std::move(sum_only);
    return policy;
}

/// The model owner's transport, to the given parties.
inline std::unique_ptr<fedpp::grpc::GrpcTransport> transport(const std::string& me,
                                                               const std::map<std::string, const Party*>& parties,
                                                               const fedpp::grpc::ConnectionOptions& options = quick()) {
    fedpp::grpc::Peers peers;
    for (const auto& [name, party] : parties) {
        peers[name] = party->address();
    }
    return std::make_unique<fedpp::grpc::GrpcTransport>(me, credentials_of(me), peers, options);
}

} // namespace network
