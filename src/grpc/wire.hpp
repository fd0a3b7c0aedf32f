// fedpp::grpc internals shared by the transport and the server: channels
// with mutual TLS, fedpp's errors as gRPC statuses and back, and values
// streamed in chunks.
#pragma once

#include "party.grpc.pb.h"

#include <fedpp/base/errors.hpp>
#include <fedpp/base/function_ref.hpp>
#include <fedpp/grpc/options.hpp>
#include <fedpp/io/bytes.hpp>
#include <fedpp/transport/request.hpp>

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>

namespace fedpp::grpc::detail {

/// The contents of a PEM file; ArgumentError naming it if it cannot be read.
std::string read_pem(const std::filesystem::path& path, const char* what);

/// A channel to `address` that must present the certificate of `peer`,
/// with this party's credentials, keepalive and message limits.
std::shared_ptr<::grpc::Channel> secure_channel(const std::string& address, const std::string& peer,
                                                const Credentials& credentials, const ConnectionOptions& options);

/// Server credentials that require and verify a client certificate of the
/// federation's authority.
std::shared_ptr<::grpc::ServerCredentials> server_credentials(const Credentials& credentials);

/// Who makes a call: the name in the peer's certificate ("" if none), and
/// its session, if it sent one ("me#3f9a...").
std::string peer_name(const ::grpc::ServerContext& context);

/// The status for the exception being handled (call inside a catch): fedpp's
/// errors keep their kind (in the "fedpp-error" trailer) and message.
::grpc::Status status_of_current_exception(::grpc::ServerContext& context);

/// Whether a failed call's status is the party's own answer (it carries the
/// "fedpp-error" trailer), rather than no answer at all.
bool answered_by_party(const ::grpc::ClientContext& context);

/// Throws the fedpp error a failed call's status stands for; `peer` and
/// `operation` name what failed for NetworkError.
[[noreturn]] void throw_status(const ::grpc::Status& status, const ::grpc::ClientContext& context,
                               const std::string& peer, const char* operation);

/// A context with a deadline `timeout` from now, for `session` (a model
/// owner's; empty for a party moving a value on).
void set_deadline(::grpc::ClientContext& context, std::chrono::milliseconds timeout, const std::string& session = {});

/// Writes a value of `size` bytes, written by `encode`, to a client-side
/// Store stream in chunks of `chunk_bytes` as it is encoded, the first
/// carrying the header (with `transfer`, the sender's number for the value,
/// if not 0). False if the stream broke (Finish() says why).
/// SerializationError if `encode` writes other than `size` bytes.
bool write_value(::grpc::ClientWriter<wire::StoreChunk>& writer, const std::string& type,
                 const std::string& on_behalf_of, std::size_t size,
                 fedpp::detail::FunctionRef<void(ByteWriter&)> encode, std::size_t chunk_bytes,
                 std::uint64_t transfer = 0);

/// The same, for a value encoded in `bytes`.
bool write_value(::grpc::ClientWriter<wire::StoreChunk>& writer, const std::string& type,
                 const std::string& on_behalf_of, std::span<const std::byte> bytes, std::size_t chunk_bytes,
                 std::uint64_t transfer = 0);

/// Numbers for the values a process sends (StoreChunk::transfer), so that
/// one whose answer did not come can be asked after (withdraw): never 0,
/// from a random start, so that a restarted process does not use its
/// earlier run's numbers again.
class TransferNumbers {
public:
    TransferNumbers();
    std::uint64_t next() noexcept;

private:
    std::atomic<std::uint64_t> next_;
};

/// What became of the value numbered `transfer` this process sent to the
/// party `peer` (the Withdraw call, within `timeout`, for `session`): its
/// id there, or 0, and whether it was carried out (0 and carried out: a
/// computation without a result ran; 0 otherwise: none was made, and never
/// will be). Throws as the call fails (throw_status).
wire::ObjectReply withdraw(wire::Party::Stub& stub, std::uint64_t transfer, std::chrono::milliseconds timeout,
                           const std::string& peer, const std::string& session = {}, bool wait = false);

/// What settle() and settle_move() throw when it cannot be known whether
/// the value arrived (moved): the question got no answer either, or the
/// party that moved it could not learn it. A NetworkError all the same (on
/// the wire too: only its message tells it apart).
class OutcomeUnknownError : public NetworkError {
public:
    using NetworkError::NetworkError;
};

/// What a request numbered by its requester makes at a party: its name in
/// messages, and what it means that the party made none.
struct NumberedObject {
    const char* what;
    const char* none;
    bool none_made = false; // carried out, it may have made no object (a computation without a result)
    /// Its answer lost by a broken connection (not its deadline), the party
    /// is asked to wait for it (TransferRequest.wait), within the rest of
    /// its deadline: a computation, which may run for hours.
    bool waited_for = false;
};
inline constexpr NumberedObject stored_value{"the value", "the value did not arrive there (and will not)"};
inline constexpr NumberedObject computation_result{
    "the computation's result", "no result of the computation is kept there (it may have run)", true, true};

/// After a store (or a copy, or a computation) numbered by its requester
/// that got no answer (`lost`): the object it became, as `ask` (a Withdraw
/// call) says (0 for a computation without a result that was carried out,
/// if `object.none_made`), or a NetworkError saying `object.none` (a
/// value's sender keeps it), or, if `ask` fails too, an
/// OutcomeUnknownError saying that it may be there.
ObjectId settle(const NetworkError& lost, fedpp::detail::FunctionRef<wire::ObjectReply()> ask,
                const NumberedObject& object = stored_value);

/// How the move numbered `transfer` this process asked the party `peer`
/// for ended (the Forwarded call, within `timeout`, for `session`): the
/// value's id at its destination, or object 0 and why it did not move.
/// Throws as the call fails (throw_status).
wire::ForwardReply forwarded(wire::Party::Stub& stub, std::uint64_t transfer, std::chrono::milliseconds timeout,
                             const std::string& peer, const std::string& session = {});

/// After a move numbered by its requester that got no answer (`lost`) from
/// the party `peer` that held the value: how it ended, as `ask` (a
/// Forwarded call) says, or a NetworkError saying that it did not move (the
/// value is still at `peer`) and why, or that `peer` could not learn
/// whether it arrived (still at `peer`, and perhaps at the destination
/// too), or, if `ask` fails too, an OutcomeUnknownError saying that it may
/// have moved.
wire::ForwardReply settle_move(const NetworkError& lost, const std::string& peer,
                               fedpp::detail::FunctionRef<wire::ForwardReply()> ask);

} // namespace fedpp::grpc::detail
