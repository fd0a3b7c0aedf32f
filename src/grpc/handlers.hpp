// fedpp::grpc internals: what the server does with each decoded request,
// applied to a Host without a live gRPC call, so that the fuzzers
// (fuzz/fuzz_party_server.cpp) run the server's own code on any message.
// `peer` is who asks (detail::peer_name): the server's only input that is
// not in the message.
#pragma once

#include "wire.hpp"

#include <fedpp/base/function_ref.hpp>
#include <fedpp/party/host.hpp>

#include <functional>
#include <string>

namespace fedpp::grpc::detail {

/// Where a Store stream's messages come from: sets its argument to the next
/// one and returns true, or returns false at the end of the stream.
using NextStoreChunk = fedpp::detail::FunctionRef<bool(wire::StoreChunk&)>;

/// Stores the value of a Store stream for `peer`, decoded from its chunks
/// as they arrive (no buffer of its whole encoding): the first chunk's
/// header (type, announced size, on whose behalf) is vetted by the host
/// before any more is read. SerializationError for a stream without a
/// chunk, or a value shorter or longer than announced.
ObjectId store(party::Host& host, const std::string& peer, NextStoreChunk next);

/// The bytes of a fetched object (deleted at the host).
Bytes fetch(party::Host& host, const std::string& peer, const wire::ObjectRequest& request);

void erase(party::Host& host, const std::string& peer, const wire::ObjectRequest& request);

ObjectId copy(party::Host& host, const std::string& peer, const wire::ObjectRequest& request);

/// How a forwarded value reaches its destination: stores `bytes` of `type`
/// there for `requester` and returns its id there.
using StoreAt = std::function<ObjectId(const std::string& destination, const std::string& type, const Bytes& bytes,
                                       const std::string& requester)>;

/// Moves an object to another party (through `store_at`), then deletes it
/// here; the object stays if the destination refuses it.
wire::ForwardReply forward(party::Host& host, const std::string& peer, const wire::ForwardRequest& request,
                           const StoreAt& store_at);

ObjectId execute(party::Host& host, const std::string& peer, const wire::ExecuteRequest& request);

ObjectId find(party::Host& host, const std::string& peer, const wire::FindRequest& request);

} // namespace fedpp::grpc::detail
