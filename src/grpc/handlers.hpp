// fedpp::grpc internals: what the server does with each decoded request,
// applied to a Host without a live gRPC call, so that the fuzzers
// (fuzz/fuzz_party_server.cpp) run the server's own code on any message.
// `peer` is who asks (detail::peer_name): the server's only input that is
// not in the message.
#pragma once

#include "arrivals.hpp"
#include "departures.hpp"
#include "wire.hpp"

#include <fedpp/base/function_ref.hpp>
#include <fedpp/party/host.hpp>

#include <cstdint>
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
/// chunk, or a value shorter or longer than announced. A value numbered by
/// its sender (StoreChunk::transfer) is recorded in `arrivals`, and refused
/// (PermissionDeniedError) if that number came before or was withdrawn.
/// A value is not kept (deleted before it is its owner's: NetworkError) if
/// `sender_gave_up` (its call was cancelled: its deadline passed, say), or
/// if its sender withdrew it while it arrived: a sender that got no answer
/// never finds it kept.
ObjectId store(party::Host& host, const std::string& peer, NextStoreChunk next, Arrivals& arrivals,
               fedpp::detail::FunctionRef<bool()> sender_gave_up);

/// What became of the value (or copy, or computation's result) `peer`, one
/// of the host's requesters, numbered request.transfer() here
/// (Arrivals::withdraw: one still arriving, or being made, is then not kept),
/// and whether it was carried out. If request.wait(), one still arriving or
/// being made is waited for first, until `wait_until`
/// (Arrivals::withdraw_once_settled); NetworkError (UNAVAILABLE: ask
/// again), withdrawing nothing, if `gave_up()` first, or if the requester
/// has Arrivals::max_waiting_per_peer questions waiting already.
wire::ObjectReply withdraw(party::Host& host, const std::string& peer, const wire::TransferRequest& request,
                           Arrivals& arrivals, Arrivals::Clock::time_point wait_until,
                           fedpp::detail::FunctionRef<bool()> gave_up);

/// The same, waiting for nothing.
inline wire::ObjectReply withdraw(party::Host& host, const std::string& peer, const wire::TransferRequest& request,
                                  Arrivals& arrivals) {
    return withdraw(host, peer, request, arrivals, Arrivals::Clock::now(), [] { return true; });
}

/// The bytes of a fetched object (deleted at the host).
Bytes fetch(party::Host& host, const std::string& peer, const wire::ObjectRequest& request);

void erase(party::Host& host, const std::string& peer, const wire::ObjectRequest& request);

/// A copy of an object, for `peer`; numbered by its requester
/// (ObjectRequest::transfer), it is recorded in `arrivals` as store()'s
/// values are. If `requester_gave_up`, or it was withdrawn, it is not made
/// once its turn comes (after the requester's earlier requests), nor kept
/// once made.
ObjectId copy(party::Host& host, const std::string& peer, const wire::ObjectRequest& request, Arrivals& arrivals,
              fedpp::detail::FunctionRef<bool()> requester_gave_up);

/// How a forwarded value reaches its destination: stores `bytes` of `type`
/// there for `requester`, numbered `transfer`, and returns its id there.
using StoreAt = std::function<ObjectId(const std::string& destination, const std::string& type, const Bytes& bytes,
                                       const std::string& requester, std::uint64_t transfer)>;

/// What became of the value numbered `transfer` sent to `destination`:
/// `destination`'s answer to Withdraw, its id there, or 0 (it did not
/// arrive, and never will; a value is never carried out as no object, so
/// `carried_out` with 0 is read as that too: settle).
using WithdrawAt = std::function<wire::ObjectReply(const std::string& destination, std::uint64_t transfer)>;

/// Moves an object to another party (through `store_at`, numbered
/// `transfer`), then deletes it here; the object stays if the destination
/// refuses it, or if no answer came (a NetworkError: a deadline passed, the
/// connection broke) and `withdraw_at` says it did not arrive (settle). If
/// that cannot say either, the object stays and may have arrived too (the
/// NetworkError says so). A move its requester numbered
/// (ForwardRequest::transfer) is recorded in `departures` with how it
/// ended, and refused (PermissionDeniedError) if that number came before
/// or was asked about.
wire::ForwardReply forward(party::Host& host, const std::string& peer, const wire::ForwardRequest& request,
                           Departures& departures, std::uint64_t transfer, const StoreAt& store_at,
                           const WithdrawAt& withdraw_at);

/// How the move `peer`, one of the host's requesters, numbered
/// request.transfer() here ended (Departures::ask, waiting until `until`
/// while it is under way, unless `gave_up()`: NetworkError if it still is).
wire::ForwardReply forwarded(party::Host& host, const std::string& peer, const wire::TransferRequest& request,
                             Departures& departures, Departures::Clock::time_point until,
                             fedpp::detail::FunctionRef<bool()> gave_up);

/// A computation's result (0: none), for `peer`; numbered as copy()'s.
/// Withdrawn before its turn, it does not run; while it runs, its result is
/// not kept, but what it did stands (its inputs changed, the contributions
/// it took spent). Given up (`requester_gave_up`) before its turn, it does
/// not run; while it runs, its result is not kept if
/// `requester_gave_up_while_made` (the server: not for a numbered one whose
/// call broke before its deadline, which its requester asks for).
ObjectId execute(party::Host& host, const std::string& peer, const wire::ExecuteRequest& request,
                 Arrivals& arrivals, fedpp::detail::FunctionRef<bool()> requester_gave_up,
                 fedpp::detail::FunctionRef<bool()> requester_gave_up_while_made);

ObjectId find(party::Host& host, const std::string& peer, const wire::FindRequest& request);

} // namespace fedpp::grpc::detail
