// fedpp::grpc: PartyServer, a party as a process of its own.
//
//     fedpp::party::Host host(policy);               // its rules, from its own configuration
//     host.publish("train", my_data);                 // its data, loaded from its own files
//     fedpp::grpc::PartyServer server(host, options); // mutual TLS on options.listen
//     server.wait();
//
// Every peer must present a certificate of the federation's authority; its
// name is who it is to the host's policy. A move from this party goes
// straight to the destination party, which must present the destination's
// certificate.
#pragma once

#include "fedpp/grpc/options.hpp"
#include "fedpp/party/host.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace fedpp::grpc {

struct ServerOptions {
    std::string listen = "127.0.0.1:0"; ///< "host:port"; port 0 picks a free one (see port())
    Credentials credentials;            ///< this party's: its certificate names host.policy().name
    Peers peers;                        ///< where the parties it may move values to are
    ConnectionOptions connection;
    std::chrono::milliseconds reclaim_every = std::chrono::seconds(1); ///< how often expired leases are checked
    /// Requests served at once at most (gRPC's thread quota): a peer that
    /// opens streams and stalls them holds at most this many threads.
    int max_threads = 128;
    /// A value's stream (a store, a fetch) in which no chunk moved for this
    /// long is cancelled (checked every reclaim_every), its thread freed.
    std::chrono::milliseconds stream_idle_timeout = std::chrono::minutes(2);
    /// How long this party remembers what became of a value sent here under
    /// its sender's number (a value moved on, a model owner's store; also a
    /// copy or a computation's result a requester numbered), from when it
    /// arrived or failed, so that a sender that got no answer can ask
    /// (Withdraw: the object it became, or none, and then it is not kept),
    /// and the number is refused again meanwhile. A sender asks at
    /// once, within its call_timeout; at most 100,000 numbers per sender.
    /// The same for a move a requester numbered (Forwarded: the value's id
    /// at its destination, or why it did not move), from when it ended.
    std::chrono::milliseconds forward_memory = std::chrono::minutes(10);
};

class PartyServer {
public:
    /// Starts serving `host` (which must outlive the server). ArgumentError
    /// if the certificate in `options` does not name host's party (the name
    /// peers would see: its first subject alternative name, or its common
    /// name) or the key is not the certificate's; NetworkError if it cannot
    /// listen.
    PartyServer(party::Host& host, ServerOptions options);
    ~PartyServer();
    PartyServer(const PartyServer&) = delete;
    PartyServer& operator=(const PartyServer&) = delete;

    /// The port it listens on.
    [[nodiscard]] int port() const noexcept;
    /// Blocks until shutdown() is called (from another thread).
    void wait();
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace fedpp::grpc
