// fedpp::grpc: PartyServer, a Host served over gRPC with mutual TLS.
#include "handlers.hpp"
#include "identity.hpp"
#include "wire.hpp"

#include <fedpp/grpc/server.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace fedpp::grpc {

namespace {

/// The least of its deadline a requester may leave a party to move a value
/// on (Forward): ConnectionOptions::transfer_timeout says so.
constexpr std::chrono::milliseconds min_forward_time{2000};

/// What is left at `now` of the deadline of `context`'s call (none once it
/// passed).
std::chrono::milliseconds time_left(const ::grpc::ServerContext& context, std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::max(context.deadline() - now, system_clock::duration{}));
}

/// Runs `handler` for the peer of `context`; fedpp's errors become statuses.
template <class Handler>
::grpc::Status serve(::grpc::ServerContext* context, const Handler& handler) {
    try {
        const std::string peer = detail::peer_name(*context);
        if (peer.empty()) {
            throw PermissionDeniedError("fedpp::grpc: a peer without a certificate");
        }
        handler(peer);
        return ::grpc::Status::OK;
    } catch (...) {
        return detail::status_of_current_exception(*context);
    }
}

/// The value streams in progress (stores and fetches), each with when a
/// chunk last moved: one in which none moved for too long is cancelled, so
/// that a peer stalling streams holds no thread for ever.
class StreamWatch {
public:
    using Clock = std::chrono::steady_clock;

    /// Watches the stream of `context` while it lives.
    class Watched {
    public:
        Watched(StreamWatch& watch, ::grpc::ServerContext* context) : watch_(watch), context_(context) {
            moved();
        }
        ~Watched() {
            const std::lock_guard lock(watch_.mutex_);
            watch_.last_moved_.erase(context_);
        }
        Watched(const Watched&) = delete;
        Watched& operator=(const Watched&) = delete;

        /// A chunk moved now.
        void moved() {
            const std::lock_guard lock(watch_.mutex_);
            watch_.last_moved_[context_] = Clock::now();
        }

    private:
        StreamWatch& watch_;
        ::grpc::ServerContext* context_;
    };

    /// Cancels the streams in which nothing moved for longer than `idle`.
    void cancel_idle(std::chrono::milliseconds idle) {
        const std::lock_guard lock(mutex_); // (a context lives while it is here)
        const auto now = Clock::now();
        for (const auto& [context, moved] : last_moved_) {
            if (now - moved > idle) {
                context->TryCancel();
            }
        }
    }

private:
    std::mutex mutex_;
    std::map<::grpc::ServerContext*, Clock::time_point> last_moved_;
};

class PartyService final : public wire::Party::Service {
public:
    PartyService(party::Host& host, const ServerOptions& options)
        : host_(host), options_(options), arrivals_(options.forward_memory), departures_(options.forward_memory) {}

    /// Cancels the value streams idle for longer than the options allow,
    /// and forgets the numbered values and moves older than the options'
    /// memory.
    void cancel_idle_streams() {
        streams_.cancel_idle(options_.stream_idle_timeout);
        arrivals_.expire();
        departures_.expire();
    }

    ::grpc::Status Store(::grpc::ServerContext* context, ::grpc::ServerReader<wire::StoreChunk>* reader,
                         wire::ObjectReply* reply) override {
        StreamWatch::Watched watched(streams_, context);
        return serve(context, [&](const std::string& peer) {
            const auto next = [&](wire::StoreChunk& chunk) {
                const bool read = reader->Read(&chunk);
                watched.moved();
                return read;
            };
            reply->set_object(detail::store(host_, peer, next, arrivals_, [&] { return context->IsCancelled(); }));
        });
    }

    ::grpc::Status Fetch(::grpc::ServerContext* context, const wire::ObjectRequest* request,
                         ::grpc::ServerWriter<wire::Chunk>* writer) override {
        StreamWatch::Watched watched(streams_, context);
        return serve(context, [&](const std::string& peer) {
            const Bytes bytes = detail::fetch(host_, peer, *request);
            std::size_t at = 0;
            do {
                wire::Chunk chunk;
                if (at == 0) {
                    chunk.set_total_bytes(bytes.size());
                }
                const std::size_t n = std::min(options_.connection.chunk_bytes, bytes.size() - at);
                chunk.set_data(reinterpret_cast<const char*>(bytes.data() + at), n);
                at += n;
                if (!writer->Write(chunk)) {
                    throw NetworkError("fedpp::grpc: the requester went away during a fetch");
                }
                watched.moved();
            } while (at < bytes.size());
        });
    }

    ::grpc::Status Erase(::grpc::ServerContext* context, const wire::ObjectRequest* request, wire::Empty*) override {
        return serve(context, [&](const std::string& peer) { detail::erase(host_, peer, *request); });
    }

    ::grpc::Status Copy(::grpc::ServerContext* context, const wire::ObjectRequest* request,
                        wire::ObjectReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            reply->set_object(detail::copy(host_, peer, *request, arrivals_, [&] { return context->IsCancelled(); }));
        });
    }

    ::grpc::Status Forward(::grpc::ServerContext* context, const wire::ForwardRequest* request,
                           wire::ForwardReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            // Within the requester's deadline, so that it hears how the move
            // ended: the question, if no answer came, takes a fifth of what is
            // left (a second at least, so that its answer can come), and the
            // value's stream (its encoding included) what remains less a
            // twentieth for the reply, three quarters at most. A requester
            // that leaves less than two seconds is refused before anything
            // moves.
            using namespace std::chrono;
            const auto now = system_clock::now();
            const auto left = time_left(*context, now);
            if (left < min_forward_time) {
                throw ArgumentError("fedpp::grpc: a forward needs " + std::to_string(min_forward_time.count()) +
                                    " ms of its requester's deadline at least (for the value's stream and, if it "
                                    "gets no answer, the question of what became of it); " +
                                    std::to_string(left.count()) + " ms were left");
            }
            const auto question_time =
                std::min(options_.connection.call_timeout, std::max(left / 5, milliseconds(1000)));
            const auto stream_until =
                now + std::min({options_.connection.transfer_timeout, left - left / 4, left - question_time - left / 20});
            *reply = detail::forward(
                host_, peer, *request, departures_, transfers_.next(),
                [&](const std::string& destination, const std::string& type, const Bytes& bytes,
                    const std::string& requester, std::uint64_t transfer) {
                    const auto time = duration_cast<milliseconds>(stream_until - system_clock::now());
                    if (time <= milliseconds(0)) { // (it waited for the requester's lock, or took long to encode)
                        throw Error("fedpp::grpc: the requester's deadline for the move passed before the value "
                                    "could leave; it did not move");
                    }
                    return store_at(destination, type, bytes, requester, transfer, time);
                },
                [&](const std::string& destination, std::uint64_t transfer) {
                    return detail::withdraw(stub_for(destination), transfer, question_time, destination);
                });
        });
    }

    ::grpc::Status Withdraw(::grpc::ServerContext* context, const wire::TransferRequest* request,
                            wire::ObjectReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            // Asked to wait, within the call's deadline less a twentieth
            // (half a second at least, for the answer) and execute_timeout.
            using namespace std::chrono;
            const milliseconds left = time_left(*context, system_clock::now());
            const milliseconds wait = std::min(left - std::max(left / 20, milliseconds(500)),
                                               options_.connection.execute_timeout);
            *reply = detail::withdraw(host_, peer, *request, arrivals_, steady_clock::now() + wait,
                                      [&] { return context->IsCancelled(); });
        });
    }

    ::grpc::Status Forwarded(::grpc::ServerContext* context, const wire::TransferRequest* request,
                             wire::ForwardReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            // Waits while the move is under way, within the call's deadline
            // and this party's call_timeout (a move ends within its own
            // requester's deadline).
            using namespace std::chrono;
            const auto left = std::min(time_left(*context, system_clock::now()), options_.connection.call_timeout);
            *reply = detail::forwarded(host_, peer, *request, departures_, steady_clock::now() + left,
                                       [&] { return context->IsCancelled(); });
        });
    }

    ::grpc::Status Execute(::grpc::ServerContext* context, const wire::ExecuteRequest* request,
                           wire::ObjectReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            // Given up: its call was cancelled. Once it runs, a numbered one
            // whose deadline had not passed (the connection broke) is not:
            // its requester asks what became of it (Withdraw, waiting for
            // it), and its result is kept for that question.
            const auto given_up = [&] { return context->IsCancelled(); };
            const auto given_up_while_made = [&] {
                return context->IsCancelled() &&
                       (request->transfer() == 0 || time_left(*context, std::chrono::system_clock::now()).count() == 0);
            };
            reply->set_object(detail::execute(host_, peer, *request, arrivals_, given_up, given_up_while_made));
        });
    }

    ::grpc::Status Find(::grpc::ServerContext* context, const wire::FindRequest* request,
                        wire::ObjectReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            reply->set_object(detail::find(host_, peer, *request));
        });
    }

    ::grpc::Status List(::grpc::ServerContext* context, const wire::Empty*, wire::ListReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            for (const ObjectInfo& info : host_.list(peer)) {
                auto* added = reply->add_objects();
                added->set_object(info.id);
                added->set_type(info.type);
            }
        });
    }

    ::grpc::Status Traffic(::grpc::ServerContext* context, const wire::Empty*, wire::TrafficReply* reply) override {
        return serve(context, [&](const std::string& peer) {
            for (const party::TrafficLine& line : host_.traffic_for(peer).lines()) {
                auto* added = reply->add_lines();
                added->set_direction(line.direction);
                added->set_peer(line.peer);
                added->set_type(line.type);
                added->set_count(line.count);
                added->set_bytes(line.bytes);
            }
        });
    }

private:
    /// Stores `bytes` at party `destination`, for `requester`: the value moves
    /// straight there, from this process to that one.
    ObjectId store_at(const std::string& destination, const std::string& type, const Bytes& bytes,
                      const std::string& requester, std::uint64_t transfer, std::chrono::milliseconds timeout) {
        wire::Party::Stub& stub = stub_for(destination);
        ::grpc::ClientContext context;
        detail::set_deadline(context, timeout);
        wire::ObjectReply reply;
        auto writer = stub.Store(&context, &reply);
        detail::write_value(*writer, type, requester, bytes, options_.connection.chunk_bytes, transfer);
        writer->WritesDone();
        const ::grpc::Status status = writer->Finish();
        if (!status.ok()) {
            detail::throw_status(status, context, destination, "store (forwarded)");
        }
        return reply.object();
    }

    /// The stub for a party this one knows the address of (a made-up name
    /// adds no entry).
    wire::Party::Stub& stub_for(const std::string& destination) {
        const std::lock_guard lock(stubs_mutex_);
        if (const auto known = stubs_.find(destination); known != stubs_.end()) {
            return *known->second;
        }
        const auto address = options_.peers.find(destination);
        if (address == options_.peers.end()) {
            throw ArgumentError("fedpp::grpc: '" + host_.policy().name + "' knows no address for '" +
                                party::printable(destination, 100) + "'");
        }
        auto& stub = stubs_[destination];
        stub = wire::Party::NewStub(
            detail::secure_channel(address->second, destination, options_.credentials, options_.connection));
        return *stub;
    }

    party::Host& host_;
    const ServerOptions& options_;
    StreamWatch streams_;
    detail::Arrivals arrivals_;
    detail::Departures departures_;
    detail::TransferNumbers transfers_; // of the values it moves on
    std::mutex stubs_mutex_;
    std::map<std::string, std::unique_ptr<wire::Party::Stub>> stubs_;
};

} // namespace

struct PartyServer::Impl {
    ServerOptions options;
    std::unique_ptr<PartyService> service;
    std::unique_ptr<::grpc::Server> server;
    int port = 0;
    std::mutex mutex;
    std::condition_variable stopped;
    bool stopping = false;
    std::thread reclaimer;
};

PartyServer::PartyServer(party::Host& host, ServerOptions options) : impl_(std::make_unique<Impl>()) {
    detail::check_own_credentials(options.credentials, host.policy().name);
    impl_->options = std::move(options);
    impl_->service = std::make_unique<PartyService>(host, impl_->options);
    ::grpc::ServerBuilder builder;
    // One party per port: a second process started on a port in use fails,
    // instead of sharing its connections (gRPC sets SO_REUSEPORT otherwise).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(impl_->options.listen, detail::server_credentials(impl_->options.credentials),
                             &impl_->port);
    builder.RegisterService(impl_->service.get());
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.SetMaxSendMessageSize(64 << 20);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    ::grpc::ResourceQuota quota("fedpp party " + host.policy().name);
    quota.SetMaxThreads(impl_->options.max_threads);
    builder.SetResourceQuota(quota);
    impl_->server = builder.BuildAndStart();
    if (!impl_->server || impl_->port == 0) {
        throw NetworkError("fedpp::grpc: party '" + host.policy().name + "' cannot listen on " +
                           impl_->options.listen +
                           " (the port is in use, or the host is not one of this machine's addresses; "
                           "gRPC's log line above says which)");
    }
    impl_->reclaimer = std::thread([this, &host] {
        std::unique_lock lock(impl_->mutex);
        while (!impl_->stopped.wait_for(lock, impl_->options.reclaim_every, [this] { return impl_->stopping; })) {
            lock.unlock();
            host.reclaim();
            impl_->service->cancel_idle_streams();
            lock.lock();
        }
    });
}

PartyServer::~PartyServer() {
    shutdown();
    if (impl_->reclaimer.joinable()) {
        impl_->reclaimer.join();
    }
}

int PartyServer::port() const noexcept { return impl_->port; }

void PartyServer::wait() {
    std::unique_lock lock(impl_->mutex);
    impl_->stopped.wait(lock, [this] { return impl_->stopping; });
}

void PartyServer::shutdown() {
    {
        const std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) {
            return;
        }
        impl_->stopping = true;
    }
    impl_->stopped.notify_all();
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

} // namespace fedpp::grpc
