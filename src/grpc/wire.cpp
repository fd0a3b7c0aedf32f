#include "wire.hpp"

#include <fedpp/base/errors.hpp>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <array>
#include <fstream>
#include <new>
#include <random>
#include <sstream>
#include <thread>

namespace fedpp::grpc::detail {

std::string read_pem(const std::filesystem::path& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ArgumentError(std::string("fedpp::grpc: cannot read the ") + what + " '" + path.string() + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::shared_ptr<::grpc::Channel> secure_channel(const std::string& address, const std::string& peer,
                                                const Credentials& credentials, const ConnectionOptions& options) {
    ::grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read_pem(credentials.authority, "certificate authority");
    tls.pem_private_key = read_pem(credentials.key, "private key");
    tls.pem_cert_chain = read_pem(credentials.certificate, "certificate");
    ::grpc::ChannelArguments arguments;
    // The party must present a certificate for its own name, whatever the
    // address it is reached at.
    arguments.SetSslTargetNameOverride(peer);
    arguments.SetMaxReceiveMessageSize(64 << 20);
    arguments.SetMaxSendMessageSize(64 << 20);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive.count()));
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // Reconnect soon after a party restarts.
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    return ::grpc::CreateCustomChannel(address, ::grpc::SslCredentials(tls), arguments);
}

std::shared_ptr<::grpc::ServerCredentials> server_credentials(const Credentials& credentials) {
    ::grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = read_pem(credentials.authority, "certificate authority");
    tls.pem_key_cert_pairs.push_back(
        {read_pem(credentials.key, "private key"), read_pem(credentials.certificate, "certificate")});
    return ::grpc::SslServerCredentials(tls);
}

std::string peer_name(const ::grpc::ServerContext& context) {
    const auto auth = context.auth_context();
    if (!auth || !auth->IsPeerAuthenticated()) {
        return {};
    }
    const auto identity = auth->GetPeerIdentity();
    if (identity.empty()) {
        return {};
    }
    std::string name(identity.front().data(), identity.front().size());
    if (name.find('#') != std::string::npos) {
        return {}; // a name with the session separator is not a party's name
    }
    const auto& metadata = context.client_metadata();
    const auto session = metadata.find("fedpp-session");
    if (session != metadata.end() && session->second.size() <= 64) {
        name.push_back('#');
        name.append(session->second.data(), session->second.size());
    }
    return name;
}

namespace {
struct ErrorKind {
    const char* name;
    ::grpc::StatusCode code;
};

template <class E>
bool is(const std::exception& e) {
    return dynamic_cast<const E*>(&e) != nullptr;
}

ErrorKind kind_of(const std::exception& e) {
    using ::grpc::StatusCode;
    if (is<PermissionDeniedError>(e)) return {"PermissionDeniedError", StatusCode::PERMISSION_DENIED};
    if (is<RemoteObjectError>(e)) return {"RemoteObjectError", StatusCode::NOT_FOUND};
    if (is<SerializationError>(e)) return {"SerializationError", StatusCode::INVALID_ARGUMENT};
    if (is<InsufficientContributionsError>(e)) return {"InsufficientContributionsError", StatusCode::FAILED_PRECONDITION};
    if (is<AggregationError>(e)) return {"AggregationError", StatusCode::FAILED_PRECONDITION};
    if (is<ShapeError>(e)) return {"ShapeError", StatusCode::INVALID_ARGUMENT};
    if (is<ArgumentError>(e)) return {"ArgumentError", StatusCode::INVALID_ARGUMENT};
    if (is<ComputationError>(e)) return {"ComputationError", StatusCode::ABORTED};
    if (is<NetworkError>(e)) return {"NetworkError", StatusCode::UNAVAILABLE};
    if (is<Error>(e)) return {"Error", StatusCode::INTERNAL};
    if (is<std::bad_alloc>(e)) return {"Error", StatusCode::RESOURCE_EXHAUSTED};
    return {"ComputationError", StatusCode::INTERNAL};
}
} // namespace

::grpc::Status status_of_current_exception(::grpc::ServerContext& context) {
    try {
        throw;
    } catch (const std::exception& e) {
        const ErrorKind kind = kind_of(e);
        context.AddTrailingMetadata("fedpp-error", kind.name);
        return {kind.code, e.what()};
    } catch (...) {
        context.AddTrailingMetadata("fedpp-error", "Error");
        return {::grpc::StatusCode::INTERNAL, "an exception that is not a std::exception"};
    }
}

bool answered_by_party(const ::grpc::ClientContext& context) {
    return context.GetServerTrailingMetadata().count("fedpp-error") != 0;
}

void throw_status(const ::grpc::Status& status, const ::grpc::ClientContext& context, const std::string& peer,
                  const char* operation) {
    const auto& trailers = context.GetServerTrailingMetadata();
    const auto found = trailers.find("fedpp-error");
    const std::string kind = found == trailers.end() ? "" : std::string(found->second.data(), found->second.size());
    const std::string& message = status.error_message();
    if (kind == "PermissionDeniedError") throw PermissionDeniedError(message);
    if (kind == "RemoteObjectError") throw RemoteObjectError(message);
    if (kind == "SerializationError") throw SerializationError(message);
    if (kind == "InsufficientContributionsError") throw InsufficientContributionsError(message);
    if (kind == "AggregationError") throw AggregationError(message);
    if (kind == "ShapeError") throw ShapeError(message);
    if (kind == "ArgumentError") throw ArgumentError(message);
    if (kind == "ComputationError") throw ComputationError(message);
    if (kind == "NetworkError") throw NetworkError(message);
    if (status.error_code() == ::grpc::StatusCode::PERMISSION_DENIED) throw PermissionDeniedError(message);
    throw NetworkError("fedpp::grpc: party '" + peer + "': " + operation + " failed (gRPC status " +
                       std::to_string(static_cast<int>(status.error_code())) + "): " + message);
}

void set_deadline(::grpc::ClientContext& context, std::chrono::milliseconds timeout, const std::string& session) {
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    if (!session.empty()) {
        context.AddMetadata("fedpp-session", session);
    }
}

bool write_value(::grpc::ClientWriter<wire::StoreChunk>& writer, const std::string& type,
                 const std::string& on_behalf_of, std::size_t size,
                 fedpp::detail::FunctionRef<void(ByteWriter&)> encode, std::size_t chunk_bytes,
                 std::uint64_t transfer) {
    wire::StoreChunk chunk;
    chunk.set_type(type);
    chunk.set_on_behalf_of(on_behalf_of);
    chunk.set_total_bytes(size);
    chunk.set_transfer(transfer);
    struct Broken {}; // the stream, mid-value: the encoding stops there
    bool first = true;
    const auto send = [&](std::span<const std::byte> bytes) {
        if (!first) {
            chunk.Clear();
        }
        first = false;
        chunk.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        if (!writer.Write(chunk)) {
            throw Broken{};
        }
    };
    ByteWriter out(chunk_bytes, send);
    try {
        encode(out);
        out.finish();
    } catch (const Broken&) {
        return false; // (a party that refused the value early, or went away)
    }
    if (out.size() != size) {
        throw SerializationError("fedpp::grpc: a value announced as " + std::to_string(size) +
                                 " bytes encoded to " + std::to_string(out.size()));
    }
    return !first || writer.Write(chunk); // (an empty value: the header alone)
}

bool write_value(::grpc::ClientWriter<wire::StoreChunk>& writer, const std::string& type,
                 const std::string& on_behalf_of, std::span<const std::byte> bytes, std::size_t chunk_bytes,
                 std::uint64_t transfer) {
    return write_value(
        writer, type, on_behalf_of, bytes.size(), [&](ByteWriter& out) { out.write_bytes(bytes); }, chunk_bytes,
        transfer);
}

TransferNumbers::TransferNumbers() {
    std::random_device device;
    next_ = (std::uint64_t{device()} << 32) ^ device();
}

std::uint64_t TransferNumbers::next() noexcept {
    const std::uint64_t transfer = next_.fetch_add(1);
    return transfer != 0 ? transfer : next_.fetch_add(1);
}

namespace {

/// A question about the value or move numbered `transfer`: `method` of
/// `stub` (Withdraw, Forwarded), within `timeout` in all, for `session`.
/// The question follows a lost answer, often a connection that broke, and
/// sent at once it can go out on that connection before the channel has
/// seen it close ("Socket closed"): one the party did not answer, unable
/// to reach it (UNAVAILABLE), is asked again on a new connection, twice at
/// most (50 ms, then 250 ms later): a party that cannot be reached then may
/// be gone for good (killed, say), and its requester must not wait for it.
/// A question that asks the party to `wait` for the request (a
/// computation's, whose answer a broken connection lost) is also asked
/// again, every second as long as its time lasts, while the party answers
/// UNAVAILABLE (its questions waiting are too many): until it is
/// answered, the computation stays pending there. Asking again changes
/// nothing at the party but that.
template <class Reply>
Reply ask_about(wire::Party::Stub& stub,
                ::grpc::Status (wire::Party::Stub::*method)(::grpc::ClientContext*, const wire::TransferRequest&,
                                                             Reply*),
                std::uint64_t transfer, std::chrono::milliseconds timeout, const std::string& peer,
                const std::string& session, const char* operation, bool wait = false) {
    using Clock = std::chrono::steady_clock;
    constexpr std::array<std::chrono::milliseconds, 2> pauses{std::chrono::milliseconds(50),
                                                              std::chrono::milliseconds(250)};
    const Clock::time_point end = Clock::now() + timeout;
    wire::TransferRequest request;
    request.set_transfer(transfer);
    request.set_wait(wait);
    for (std::size_t asked = 0;; ++asked) {
        ::grpc::ClientContext context;
        set_deadline(context, std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()), session);
        Reply reply;
        const ::grpc::Status status = (stub.*method)(&context, request, &reply);
        if (status.ok()) {
            return reply;
        }
        const std::chrono::milliseconds pause = asked < pauses.size() ? pauses[asked] : std::chrono::seconds(1);
        const bool party_busy = wait && answered_by_party(context);
        const bool again = status.error_code() == ::grpc::StatusCode::UNAVAILABLE &&
                           (party_busy || (asked < pauses.size() && !answered_by_party(context))) &&
                           Clock::now() + pause < end;
        if (!again) {
            throw_status(status, context, peer, operation);
        }
        std::this_thread::sleep_for(pause);
    }
}

} // namespace

wire::ObjectReply withdraw(wire::Party::Stub& stub, std::uint64_t transfer, std::chrono::milliseconds timeout,
                           const std::string& peer, const std::string& session, bool wait) {
    return ask_about(stub, &wire::Party::Stub::Withdraw, transfer, timeout, peer, session, "withdraw", wait);
}

ObjectId settle(const NetworkError& lost, fedpp::detail::FunctionRef<wire::ObjectReply()> ask,
                const NumberedObject& object) {
    wire::ObjectReply arrived;
    try {
        arrived = ask();
    } catch (const std::exception& e) {
        throw OutcomeUnknownError(std::string(lost.what()) + "; asked what became of " + object.what +
                                  ", the party did not say (" + e.what() + "): it may be there");
    }
    if (arrived.object() == 0 && !(arrived.carried_out() && object.none_made)) {
        throw NetworkError(std::string(lost.what()) + "; " + object.none);
    }
    return arrived.object(); // (0: a computation without a result, which ran)
}

wire::ForwardReply forwarded(wire::Party::Stub& stub, std::uint64_t transfer, std::chrono::milliseconds timeout,
                             const std::string& peer, const std::string& session) {
    return ask_about(stub, &wire::Party::Stub::Forwarded, transfer, timeout, peer, session, "forwarded");
}

wire::ForwardReply settle_move(const NetworkError& lost, const std::string& peer,
                               fedpp::detail::FunctionRef<wire::ForwardReply()> ask) {
    wire::ForwardReply moved;
    try {
        moved = ask();
    } catch (const std::exception& e) {
        throw OutcomeUnknownError(std::string(lost.what()) + "; asked how the move ended, '" + peer +
                                  "' did not say (" + e.what() + "): the value may have moved");
    }
    if (moved.object() == 0 && moved.uncertain()) {
        throw OutcomeUnknownError(std::string(lost.what()) + "; '" + peer +
                                  "' could not learn whether the value arrived (" + moved.failure() +
                                  "): it is still at '" + peer + "', and may be at the destination too");
    }
    if (moved.object() == 0) {
        throw NetworkError(std::string(lost.what()) + "; the value did not move (" + moved.failure() +
                           "): it is still at '" + peer + "'");
    }
    return moved;
}

} // namespace fedpp::grpc::detail
