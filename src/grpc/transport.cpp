// fedpp::grpc: GrpcTransport, every request of the seam as a call to the
// party it is for.
#include "identity.hpp"
#include "unerased_fetches.hpp"
#include "wire.hpp"

#include <fedpp/grpc/transport.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace fedpp::grpc {

struct GrpcTransport::Impl {
    struct Endpoint {
        std::string name;
        std::unique_ptr<wire::Party::Stub> stub;
    };

    std::string own_name;
    std::string session = new_session(); // this model owner's run, to the parties
    detail::TransferNumbers transfers;     // of the values it stores
    Credentials credentials;
    Peers peers;
    ConnectionOptions options;
    std::shared_mutex mutex; // endpoints: written by attach and detach
    std::map<WorkerId, Endpoint> endpoints;
    // Lease renewal: a thread that lists this session's objects at every
    // party it reaches, every options.renew_every.
    std::mutex renewal_mutex;
    std::condition_variable renewal_wake;
    bool stopping = false;
    std::thread renewer;
    // Fetched values whose erase got no answer, erased again before the
    // next request to their party.
    detail::UnerasedFetches unerased;

    void renew_leases() {
        std::unique_lock lock(renewal_mutex);
        while (!renewal_wake.wait_for(lock, options.renew_every, [this] { return stopping; })) {
            lock.unlock();
            std::map<std::string, wire::Party::Stub*> parties;
            {
                const std::shared_lock endpoints_lock(mutex);
                for (const auto& [id, endpoint] : endpoints) {
                    parties.emplace(endpoint.name, endpoint.stub.get()); // stubs live as long as the transport
                }
            }
            for (const auto& [name, stub] : parties) {
                ::grpc::ClientContext context;
                detail::set_deadline(context, options.call_timeout, session);
                wire::ListReply ignored;
                (void)stub->List(&context, wire::Empty(), &ignored); // a party that is down: tried again later
            }
            lock.lock();
        }
    }

    void stop_renewing() {
        {
            const std::lock_guard lock(renewal_mutex);
            stopping = true;
        }
        renewal_wake.notify_all();
        if (renewer.joinable()) {
            renewer.join();
        }
    }

    std::unique_ptr<wire::Party::Stub> stub_for(const std::string& name) {
        const auto address = peers.find(name);
        if (address == peers.end()) {
            throw ArgumentError("fedpp::grpc: no address for party '" + name + "' (give it among the peers)");
        }
        return wire::Party::NewStub(detail::secure_channel(address->second, name, credentials, options));
    }

    /// The endpoint of worker `id` (its name and stub).
    std::pair<std::string, wire::Party::Stub*> endpoint(WorkerId id) {
        const std::shared_lock lock(mutex);
        const auto it = endpoints.find(id);
        if (it == endpoints.end()) {
            throw RemoteObjectError("fedpp::grpc: worker " + std::to_string(id) + " is not attached");
        }
        return {it->second.name, it->second.stub.get()};
    }

    /// Stores a value at party `name`, numbered: if no answer comes (a
    /// NetworkError: the deadline passed while the party stored it, the
    /// connection broke), asks the party what became of it, so that a value
    /// that arrived is not left there unknown.
    Reply store(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        ::grpc::ClientContext context;
        detail::set_deadline(context, options.transfer_timeout, session);
        wire::ObjectReply reply;
        const std::uint64_t transfer = transfers.next();
        auto writer = stub.Store(&context, &reply);
        try {
            if (request.encoding != nullptr) { // encoded as it is sent
                detail::write_value(*writer, request.type->name, {}, request.encoding->size, request.encoding->write,
                                    options.chunk_bytes, transfer);
            } else {
                detail::write_value(*writer, request.type->name, {}, request.payload, options.chunk_bytes, transfer);
            }
        } catch (...) { // the party must not keep a partial value
            context.TryCancel();
            (void)writer->Finish();
            throw;
        }
        writer->WritesDone();
        return numbered(writer->Finish(), context, reply, transfer, name, stub, "store", detail::stored_value);
    }

    /// The object a request numbered `transfer` made at party `name` (in
    /// `reply`), or, if no answer came (a NetworkError), the one the party
    /// says it made (Withdraw: one still being made is not kept).
    Reply numbered(const ::grpc::Status& status, const ::grpc::ClientContext& context, const wire::ObjectReply& reply,
                   std::uint64_t transfer, const std::string& name, wire::Party::Stub& stub, const char* operation,
                   const detail::NumberedObject& object) {
        try {
            check(status, context, name, operation);
        } catch (const NetworkError& lost) {
            if (detail::answered_by_party(context)) {
                throw; // (the party's own answer: the request failed there, and its number with it)
            }
            // (A computation whose answer a broken connection lost is waited
            // for, within the rest of its deadline.)
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(context.deadline() -
                                                                                    std::chrono::system_clock::now());
            const bool wait = object.waited_for && status.error_code() != ::grpc::StatusCode::DEADLINE_EXCEEDED &&
                              left > std::chrono::seconds(1);
            const auto question = wait ? left : options.call_timeout;
            return object_reply(detail::settle(
                lost, [&] { return detail::withdraw(stub, transfer, question, name, session, wait); }, object));
        }
        return object_reply(reply.object());
    }

    /// Sends one erase to party `name` (UnerasedFetches::SendErase).
    auto erase_at(const std::string& name, wire::Party::Stub& stub) {
        return [this, &name, &stub](ObjectId object) { (void)small(Request::erase(0, object), name, stub); };
    }

    Reply fetch(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        ::grpc::ClientContext context;
        detail::set_deadline(context, options.transfer_timeout, session);
        wire::ObjectRequest message;
        message.set_object(request.object);
        message.set_type(request.type->name);
        auto reader = stub.Fetch(&context, message);
        Reply reply;
        wire::Chunk chunk;
        std::uint64_t total = 0;
        for (bool first_chunk = true; reader->Read(&chunk); first_chunk = false) {
            if (first_chunk) {
                total = chunk.total_bytes();
                if (total > options.max_value_bytes) {
                    context.TryCancel();
                    throw SerializationError("fedpp::grpc: party '" + name + "' sends a value of " +
                                             std::to_string(total) + " bytes, over the limit of " +
                                             std::to_string(options.max_value_bytes));
                }
                reply.payload.reserve(static_cast<std::size_t>(total));
            }
            if (chunk.data().size() > total - reply.payload.size()) {
                context.TryCancel();
                throw SerializationError("fedpp::grpc: party '" + name + "' sends more than the " +
                                         std::to_string(total) + " bytes it announced");
            }
            const auto* first = reinterpret_cast<const std::byte*>(chunk.data().data());
            reply.payload.insert(reply.payload.end(), first, first + chunk.data().size());
        }
        check(reader->Finish(), context, name, "fetch");
        if (reply.payload.size() != total) {
            throw SerializationError("fedpp::grpc: party '" + name + "' sent " +
                                     std::to_string(reply.payload.size()) + " of the " + std::to_string(total) +
                                     " bytes it announced");
        }
        // The party keeps a fetched value until it is erased (party.proto):
        // a fetch that failed above leaves it there, and the caller's
        // pointer live, to fetch again. Here the value has arrived.
        unerased.erase(name, {request.object}, erase_at(name, stub));
        return reply;
    }

    /// Moves a value from party `name` to another, numbered: if no answer
    /// comes (a NetworkError), asks `name` how the move ended, so that a
    /// value that moved is not left at its destination unknown (and the
    /// pointer to it here naming nothing).
    Reply forward(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        const std::string destination = endpoint(request.destination).first;
        ::grpc::ClientContext context;
        detail::set_deadline(context, options.transfer_timeout, session);
        wire::ForwardRequest message;
        message.set_object(request.object);
        message.set_type(request.type->name);
        message.set_destination(destination);
        const std::uint64_t transfer = transfers.next();
        message.set_transfer(transfer);
        wire::ForwardReply answer;
        const ::grpc::Status status = stub.Forward(&context, message, &answer);
        try {
            check(status, context, name, "forward");
        } catch (const NetworkError& lost) {
            if (detail::answered_by_party(context)) {
                throw; // (the party's own answer, which says how the move ended)
            }
            answer = detail::settle_move(lost, name, [&] {
                return detail::forwarded(stub, transfer, options.call_timeout, name, session);
            });
        }
        Reply reply = object_reply(answer.object());
        reply.moved_bytes = answer.moved_bytes();
        return reply;
    }

    Reply execute(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        if (request.computation->name.empty()) {
            throw ArgumentError("fedpp::grpc: this computation has no name, so party '" + name +
                                "' cannot run it: give it one with fedpp::computation<\"name\">(...)");
        }
        wire::ExecuteRequest message;
        message.set_computation(request.computation->name);
        for (const ObjectRef& input : request.inputs) {
            auto* added = message.add_inputs();
            added->set_object(input.id);
            added->set_type(input.type->name);
        }
        const std::span<const std::byte> arguments = request.payload;
        message.set_arguments(reinterpret_cast<const char*>(arguments.data()), arguments.size());
        return call_numbered(message, &wire::Party::Stub::Execute, options.execute_timeout, name, stub, "execute",
                             detail::computation_result);
    }

    /// A copy at party `name`, numbered as stores are.
    Reply copy(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        wire::ObjectRequest message;
        message.set_object(request.object);
        message.set_type(request.type->name);
        return call_numbered(message, &wire::Party::Stub::Copy, options.call_timeout, name, stub, "copy",
                             {"the copy", "the copy was not made there (and will not be)"});
    }

    /// `message`, numbered, through the stub's `method` within `timeout`:
    /// the object it made (numbered()).
    template <class Message, class Method>
    Reply call_numbered(Message& message, Method method, std::chrono::milliseconds timeout, const std::string& name,
                        wire::Party::Stub& stub, const char* operation, const detail::NumberedObject& object) {
        ::grpc::ClientContext context;
        detail::set_deadline(context, timeout, session);
        const std::uint64_t transfer = transfers.next();
        message.set_transfer(transfer);
        wire::ObjectReply reply;
        const ::grpc::Status status = (stub.*method)(&context, message, &reply);
        return numbered(status, context, reply, transfer, name, stub, operation, object);
    }

    Reply small(const Request& request, const std::string& name, wire::Party::Stub& stub) {
        ::grpc::ClientContext context;
        detail::set_deadline(context, options.call_timeout, session);
        Reply reply;
        if (request.operation == Operation::erase) {
            wire::ObjectRequest message;
            message.set_object(request.object);
            message.set_type(request.type != nullptr ? request.type->name : std::string());
            wire::Empty none;
            check(stub.Erase(&context, message, &none), context, name, "erase");
        } else if (request.operation == Operation::find) {
            wire::FindRequest message;
            message.set_tag(std::string(request.tag));
            message.set_type(request.type->name);
            wire::ObjectReply answer;
            check(stub.Find(&context, message, &answer), context, name, "find");
            reply.object = answer.object();
        } else { // count, list: the requester's objects there
            wire::ListReply answer;
            check(stub.List(&context, wire::Empty(), &answer), context, name, "list");
            for (const auto& info : answer.objects()) {
                reply.objects.push_back({info.object(), info.type()});
            }
            reply.count = reply.objects.size();
        }
        return reply;
    }

    static std::string new_session() {
        std::random_device random;
        std::string text;
        for (int i = 0; i < 4; ++i) {
            char word[9];
            std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(random()));
            text += word;
        }
        return text;
    }

    static Reply object_reply(ObjectId id) {
        Reply reply;
        reply.object = id;
        return reply;
    }

    static void check(const ::grpc::Status& status, const ::grpc::ClientContext& context, const std::string& peer,
                      const char* operation) {
        if (!status.ok()) {
            detail::throw_status(status, context, peer, operation);
        }
    }
};

GrpcTransport::GrpcTransport(std::string own_name, Credentials credentials, Peers peers, ConnectionOptions options)
    : impl_(std::make_unique<Impl>()) {
    detail::check_own_credentials(credentials, own_name);
    impl_->own_name = std::move(own_name);
    impl_->credentials = std::move(credentials);
    impl_->peers = std::move(peers);
    impl_->options = options;
    if (options.renew_every.count() > 0) {
        impl_->renewer = std::thread([impl = impl_.get()] { impl->renew_leases(); });
    }
}

GrpcTransport::~GrpcTransport() { impl_->stop_renewing(); }

void GrpcTransport::attach(WorkerId id, std::string name, bool /*trusted: each party decides for itself*/) {
    auto stub = impl_->stub_for(name);
    const std::unique_lock lock(impl_->mutex);
    impl_->endpoints[id] = Impl::Endpoint{std::move(name), std::move(stub)};
}

bool GrpcTransport::encodes_while_sending() const noexcept { return true; }

void GrpcTransport::detach(WorkerId id) noexcept {
    // The endpoint stays: pointers that outlive their worker still delete
    // their objects there (the party's lease reclaims them otherwise).
    (void)id;
}

Reply GrpcTransport::deliver(const Request& request) {
    const auto [name, stub] = impl_->endpoint(request.to);
    impl_->unerased.erase_left(name, impl_->erase_at(name, *stub));
    switch (request.operation) {
    case Operation::store: return impl_->store(request, name, *stub);
    case Operation::fetch: return impl_->fetch(request, name, *stub);
    case Operation::forward: return impl_->forward(request, name, *stub);
    case Operation::execute: return impl_->execute(request, name, *stub);
    case Operation::copy: return impl_->copy(request, name, *stub);
    case Operation::forward_into: // forwards_into_computations() is false: callers forward, then execute
        throw ArgumentError("fedpp::grpc::GrpcTransport does not carry out forward_into requests");
    default: return impl_->small(request, name, *stub);
    }
}

std::vector<party::TrafficLine> GrpcTransport::traffic_of(const std::string& name) {
    auto stub = impl_->stub_for(name);
    ::grpc::ClientContext context;
    detail::set_deadline(context, impl_->options.call_timeout, impl_->session);
    wire::TrafficReply reply;
    Impl::check(stub->Traffic(&context, wire::Empty(), &reply), context, name, "traffic");
    std::vector<party::TrafficLine> lines;
    for (const auto& line : reply.lines()) {
        lines.push_back({line.direction(), line.peer(), line.type(), line.count(), line.bytes()});
    }
    return lines;
}

} // namespace fedpp::grpc
