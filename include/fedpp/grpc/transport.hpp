// fedpp::grpc: GrpcTransport, the model owner's side of a federation whose
// parties are processes of their own (each serving with a PartyServer).
//
//     auto transport = std::make_unique<fedpp::grpc::GrpcTransport>("me", credentials, peers);
//     fedpp::Federation hook("me", std::move(transport));
//     fedpp::Worker<Bob> bob(hook);   // reaches peers["bob"], which must present bob's certificate
//
// User code does not change: every request of the seam becomes one call to
// a party, values stream in chunks, and a move goes from one party's process
// straight to the other's (the model owner's process never sees its bytes).
// What a party refuses comes back as PermissionDeniedError; a party that
// cannot be reached, as NetworkError naming it and the operation.
// Computations travel by name: a lambda without one (see
// fedpp::computation<"name">) cannot be sent.
#pragma once

#include "fedpp/grpc/options.hpp"
#include "fedpp/party/traffic.hpp"
#include "fedpp/transport/transport.hpp"

#include <memory>
#include <string>
#include <vector>

namespace fedpp::grpc {

class GrpcTransport final : public Transport {
public:
    /// The transport of party `own_name` (the name in `credentials`'
    /// certificate), which reaches the parties named in `peers`.
    /// ArgumentError if the certificate names another party or the key is
    /// not the certificate's.
    GrpcTransport(std::string own_name, Credentials credentials, Peers peers, ConnectionOptions options = {});
    ~GrpcTransport() override;
    GrpcTransport(const GrpcTransport&) = delete;
    GrpcTransport& operator=(const GrpcTransport&) = delete;

    void attach(WorkerId id, std::string name, bool trusted) override;
    void detach(WorkerId id) noexcept override;
    Reply deliver(const Request& request) override;
    /// True: send() encodes a value straight into the stream's chunks.
    [[nodiscard]] bool encodes_while_sending() const noexcept override;

    /// Party `name`'s own account of what crossed its boundary, as it
    /// reports it.
    [[nodiscard]] std::vector<party::TrafficLine> traffic_of(const std::string& name);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace fedpp::grpc
