// A hostile peer: a client that speaks fedpp's wire protocol directly (a raw
// gRPC stub of party.proto, its own credentials, none of fedpp's types), and
// tries every act a data owner or an aggregator must refuse at run time
// (issue 12, item 6). Each refusal must be the right status to the caller
// and, where the request reached the party, a line in the party's own log;
// each legal twin must still work.
#include "network_parties.hpp"
#include "skip.hpp"

#include <fedpp/federated/dp_aggregation.hpp>

#ifdef FEDPP_TEST_SECURE_AGGREGATION
#include <fedpp/aggregation/secure_steps.hpp>
#endif

#include "party.grpc.pb.h"

#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace hostile_test {
/// While not 0, a SlowValue takes this many milliseconds to decode: a party
/// that stores one answers after its sender's deadline.
inline std::atomic<int> slow_decode_ms{0};
/// How many SlowValues began to decode, and how many ended.
inline std::atomic<int> slow_decodes{0};
inline std::atomic<int> slow_decodes_ended{0};
/// How many runs of the computation "hostile.slow_copy" ended.
inline std::atomic<int> slow_runs{0};
/// The same, to encode: a party that moves one on answers after its
/// requester's deadline.
inline std::atomic<int> slow_encode_ms{0};
struct SlowValue {
    std::int64_t value = 0;
};
} // namespace hostile_test

template <>
struct fedpp::Codec<hostile_test::SlowValue> {
    static std::string type_name() { return "hostile_test.SlowValue"; }
    static void encode(const hostile_test::SlowValue& slow, ByteWriter& out) {
        std::this_thread::sleep_for(std::chrono::milliseconds(hostile_test::slow_encode_ms.load()));
        out.write(slow.value);
    }
    static hostile_test::SlowValue decode(ByteReader& in) {
        ++hostile_test::slow_decodes;
        std::this_thread::sleep_for(std::chrono::milliseconds(hostile_test::slow_decode_ms.load()));
        ++hostile_test::slow_decodes_ended;
        return {in.read<std::int64_t>()};
    }
};

namespace {

using hostile_test::SlowValue;
using hostile_test::slow_decode_ms;
using hostile_test::slow_decodes;
using hostile_test::slow_decodes_ended;
using hostile_test::slow_encode_ms;
using hostile_test::slow_runs;
using LinearModel = fedpp::nn::Linear<double>;
using Data = fedpp::Tensor<double>;
using fedpp::ObjectId;
using Code = ::grpc::StatusCode;

// Computations compiled into this program (so into every party's).
constexpr auto loss_of = fedpp::computation<"hostile.loss">(
    [](LinearModel& m, Data& data, Data& target) { return (m(data) - target).pow(2).sum().item(); });
constexpr auto copy_of = fedpp::computation<"hostile.copy">([](Data& data) { return data.detach(); });
constexpr auto slow_copy_of = fedpp::computation<"hostile.slow_copy">([](SlowValue& value) {
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_decode_ms.load()));
    ++hostile_test::slow_runs;
    return value;
});
/// A computation without a result.
constexpr auto count_runs = fedpp::computation<"hostile.count_runs">([](SlowValue&) { ++hostile_test::slow_runs; });
constexpr auto scale = fedpp::computation<"hostile.scale">([](LinearModel& m) { return m.copy(); });
constexpr auto unsum = fedpp::computation<"hostile.unsum">(
    [](fedpp::WeightedSum<LinearModel>& sum) { return fedpp::detail::independent_copy(sum.sum()); });
constexpr auto fail_typed = fedpp::computation<"hostile.fail_typed">([](Data& data) -> double {
    throw fedpp::ArgumentError("secret " + std::to_string(data.value()(0, 0)));
});
constexpr auto fail_std = fedpp::computation<"hostile.fail_std">([](Data& data) -> double {
    throw std::runtime_error("secret " + std::to_string(data.value()(0, 0)));
});

/// The wire name of a named computation over objects of types Objects.
template <auto F, class... Objects>
std::string computation_name() {
    using Named = std::remove_cvref_t<decltype(F)>;
    return fedpp::detail::computation_of<fedpp::detail::RunComputation<Named, fedpp::detail::Object<Objects>...>>()
        .name;
}

std::string fedavg_name() {
    return fedpp::detail::computation_of<fedpp::detail::AggregationComputation<LinearModel, fedpp::detail::FedAvg>>().name;
}

/// fedavg's arguments: the contributions the caller asks for, and weights.
fedpp::Bytes fedavg_arguments(std::uint64_t required, const std::vector<double>& weights = {}) {
    fedpp::Bytes bytes;
    bytes.reserve(2 * sizeof(std::uint64_t) + weights.size() * sizeof(double)); // (and GCC 12 sees no overflow)
    fedpp::ByteWriter out(bytes);
    out.write<std::uint64_t>(required);
    fedpp::Codec<std::vector<double>>::encode(weights, out);
    return bytes;
}

template <class T>
std::string type_of() {
    return fedpp::detail::value_type<T>().name;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

LinearModel a_model(std::uint64_t seed = 7) {
    fedpp::Generator generator(seed);
    return LinearModel(2, 1, generator);
}

/// Whether `counter` (slow_decodes, slow_decodes_ended, slow_runs) reaches
/// `n` within 10 s: the copy or computation asked for last is being made,
/// or made.
bool reaches(const std::atomic<int>& counter, int n) {
    for (int tries = 0; counter < n && tries < 1000; ++tries) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return counter == n;
}

/// The hostile peer: a raw stub to one party, with the certificate `name`
/// of the authority in `authority_dir` (none if `name` is empty), as session
/// `session`.
class Peer {
public:
    Peer(const network::Party& party, const std::string& name, const std::string& session = "s1",
         const std::filesystem::path& authority_dir = network::certificates(), std::string expected = {})
        : session_(session) {
        ::grpc::SslCredentialsOptions tls;
        tls.pem_root_certs = read_file(network::certificates() / "ca.pem"); // the server is the real one
        if (!name.empty()) {
            tls.pem_private_key = read_file(authority_dir / (name + ".key"));
            tls.pem_cert_chain = read_file(authority_dir / (name + ".pem"));
        }
        ::grpc::ChannelArguments arguments;
        // The party must present a certificate of this name (its own, unless
        // the test expects another).
        arguments.SetSslTargetNameOverride(expected.empty() ? party.host.policy().name : expected);
        stub_ = fedpp::wire::Party::NewStub(
            ::grpc::CreateCustomChannel(party.address(), ::grpc::SslCredentials(tls), arguments));
    }

    struct Result {
        ::grpc::Status status;
        ObjectId object = 0;
        std::string bytes;        // a fetch's
        bool carried_out = false; // a withdrawal's
    };

    /// Stores `bytes` as a `type`, announcing `announced` bytes (default: the
    /// true size), in chunks of `chunk` bytes.
    Result store(const std::string& type, const fedpp::Bytes& bytes, const std::string& on_behalf_of = {},
                 std::optional<std::uint64_t> announced = {}, std::size_t chunk = 1 << 16,
                 std::uint64_t transfer = 0, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        ::grpc::ClientContext context;
        prepare(context, deadline);
        fedpp::wire::ObjectReply reply;
        auto writer = stub_->Store(&context, &reply);
        std::size_t at = 0;
        do {
            fedpp::wire::StoreChunk message;
            if (at == 0) {
                message.set_type(type);
                message.set_on_behalf_of(on_behalf_of);
                message.set_total_bytes(announced.value_or(bytes.size()));
                message.set_transfer(transfer);
            }
            const std::size_t n = std::min(chunk, bytes.size() - at);
            message.set_data(reinterpret_cast<const char*>(bytes.data() + at), n);
            at += n;
            if (!writer->Write(message)) {
                break;
            }
        } while (at < bytes.size());
        writer->WritesDone();
        Result result{writer->Finish(), reply.object(), {}};
        return result;
    }

    template <class T>
    Result store(const T& value) {
        return store(type_of<T>(), fedpp::to_bytes(value));
    }

    Result fetch(ObjectId object, const std::string& type) {
        ::grpc::ClientContext context;
        prepare(context);
        auto reader = stub_->Fetch(&context, request(object, type));
        Result result;
        fedpp::wire::Chunk chunk;
        while (reader->Read(&chunk)) {
            result.bytes += chunk.data();
        }
        result.status = reader->Finish();
        return result;
    }

    Result erase(ObjectId object) {
        ::grpc::ClientContext context;
        prepare(context);
        fedpp::wire::Empty none;
        return {stub_->Erase(&context, request(object, ""), &none), 0, {}};
    }

    /// Copies `object`, numbered `transfer` (0: not numbered).
    Result copy(ObjectId object, const std::string& type, std::uint64_t transfer = 0,
                std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        ::grpc::ClientContext context;
        prepare(context, deadline);
        fedpp::wire::ObjectReply reply;
        auto message = request(object, type);
        message.set_transfer(transfer);
        const auto status = stub_->Copy(&context, message, &reply);
        return {status, reply.object(), {}};
    }

    /// Moves `object` to `destination`, numbered `transfer` (0: not
    /// numbered); with `cancel_once`, this peer stops waiting for the answer
    /// once that says so (asked every 5 ms, for 20 s at most).
    Result forward(ObjectId object, const std::string& type, const std::string& destination,
                   std::chrono::seconds deadline = std::chrono::seconds(10), std::uint64_t transfer = 0,
                   const std::function<bool()>& cancel_once = {}) {
        ::grpc::ClientContext context;
        prepare(context, deadline);
        fedpp::wire::ForwardRequest message;
        message.set_object(object);
        message.set_type(type);
        message.set_destination(destination);
        message.set_transfer(transfer);
        fedpp::wire::ForwardReply reply;
        std::thread canceller;
        if (cancel_once) {
            canceller = std::thread([&context, &cancel_once] {
                const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
                while (!cancel_once() && std::chrono::steady_clock::now() < until) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
                context.TryCancel();
            });
        }
        const auto status = stub_->Forward(&context, message, &reply);
        if (canceller.joinable()) {
            canceller.join();
        }
        return {status, reply.object(), {}};
    }

    /// How the move this peer numbered `transfer` ended (the object's id at
    /// its destination in `object`, why it did not move in `bytes`).
    Result forwarded(std::uint64_t transfer) {
        fedpp::wire::ForwardReply reply;
        const auto status = ask_about(&fedpp::wire::Party::Stub::Forwarded, transfer, reply);
        return {status, reply.object(), reply.failure()};
    }

    /// What became of the value this peer sent under the number `transfer`.
    Result withdraw(std::uint64_t transfer) {
        fedpp::wire::ObjectReply reply;
        const auto status = ask_about(&fedpp::wire::Party::Stub::Withdraw, transfer, reply);
        return {status, reply.object(), {}, reply.carried_out()};
    }

    /// `method` (Withdraw, Forwarded) about the number `transfer`.
    template <class Reply>
    ::grpc::Status ask_about(::grpc::Status (fedpp::wire::Party::Stub::*method)(
                                 ::grpc::ClientContext*, const fedpp::wire::TransferRequest&, Reply*),
                             std::uint64_t transfer, Reply& reply) {
        ::grpc::ClientContext context;
        prepare(context);
        fedpp::wire::TransferRequest message;
        message.set_transfer(transfer);
        return ((*stub_).*method)(&context, message, &reply);
    }

    /// Runs `computation`, its result numbered `transfer` (0: not numbered).
    Result execute(const std::string& computation, const std::vector<std::pair<ObjectId, std::string>>& inputs,
                   const fedpp::Bytes& arguments = {}, std::uint64_t transfer = 0,
                   std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        ::grpc::ClientContext context;
        prepare(context, deadline);
        fedpp::wire::ExecuteRequest message;
        message.set_computation(computation);
        message.set_transfer(transfer);
        for (const auto& [object, type] : inputs) {
            auto* input = message.add_inputs();
            input->set_object(object);
            input->set_type(type);
        }
        message.set_arguments(reinterpret_cast<const char*>(arguments.data()), arguments.size());
        fedpp::wire::ObjectReply reply;
        const auto status = stub_->Execute(&context, message, &reply);
        return {status, reply.object(), {}};
    }

    Result find(const std::string& tag, const std::string& type) {
        ::grpc::ClientContext context;
        prepare(context);
        fedpp::wire::FindRequest message;
        message.set_tag(tag);
        message.set_type(type);
        fedpp::wire::ObjectReply reply;
        const auto status = stub_->Find(&context, message, &reply);
        return {status, reply.object(), {}};
    }

    /// A store stream that announces `announced` bytes of a `type`, sends
    /// none and stalls (finish it with Finish()).
    struct Stalled {
        ::grpc::ClientContext context;
        fedpp::wire::ObjectReply reply;
        std::unique_ptr<::grpc::ClientWriter<fedpp::wire::StoreChunk>> writer;

        /// Sends `bytes`, the value's data, and ends the stream.
        Result finish(const fedpp::Bytes& bytes) {
            fedpp::wire::StoreChunk message;
            message.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            writer->Write(message);
            writer->WritesDone();
            const ::grpc::Status status = writer->Finish();
            return {status, reply.object(), {}};
        }
    };
    std::unique_ptr<Stalled> stalled_store(const std::string& type, std::uint64_t announced,
                                           std::chrono::seconds deadline = std::chrono::seconds(20),
                                           const std::string& on_behalf_of = {}, std::uint64_t transfer = 0) {
        auto stalled = std::make_unique<Stalled>();
        prepare(stalled->context, deadline);
        stalled->writer = stub_->Store(&stalled->context, &stalled->reply);
        fedpp::wire::StoreChunk message;
        message.set_type(type);
        message.set_total_bytes(announced);
        message.set_on_behalf_of(on_behalf_of);
        message.set_transfer(transfer);
        stalled->writer->Write(message);
        return stalled;
    }

    Result list() {
        ::grpc::ClientContext context;
        prepare(context);
        fedpp::wire::Empty none;
        fedpp::wire::ListReply reply;
        return {stub_->List(&context, none, &reply), static_cast<ObjectId>(reply.objects_size()), {}};
    }

private:
    void prepare(::grpc::ClientContext& context, std::chrono::milliseconds deadline = std::chrono::seconds(10)) const {
        context.set_deadline(std::chrono::system_clock::now() + deadline);
        if (!session_.empty()) {
            context.AddMetadata("fedpp-session", session_);
        }
    }

    static fedpp::wire::ObjectRequest request(ObjectId object, const std::string& type) {
        fedpp::wire::ObjectRequest message;
        message.set_object(object);
        message.set_type(type);
        return message;
    }

    std::string session_;
    std::unique_ptr<fedpp::wire::Party::Stub> stub_;
};

/// `result` is a refusal `code`, and `party` logged one line more than
/// `before` lines, naming `what`.
void require_refused(const Peer::Result& result, Code code, const network::Party& party, std::size_t& before,
                     const std::string& what) {
    INFO("status " << result.status.error_code() << ": " << result.status.error_message());
    CHECK(result.status.error_code() == code);
    const auto lines = party.log.lines();
    REQUIRE(lines.size() == before + 1);
    INFO("log: " << lines.back());
    CHECK(lines.back().find(what) != std::string::npos);
    before = lines.size();
}

void require_ok(const Peer::Result& result) {
    INFO("status " << result.status.error_code() << ": " << result.status.error_message());
    REQUIRE(result.status.ok());
}

/// Every way of making one more object at `party` is refused (PERMISSION_DENIED,
/// logged naming `what`): storing `value` from `me` and from `again` (another
/// session of its certificate), and copying `me`'s Data `object` or running a
/// computation on it.
void require_no_more_objects(Peer& me, Peer& again, const Data& value, ObjectId object,
                             const network::Party& party, std::size_t& lines, const std::string& what) {
    const std::string D = type_of<Data>();
    require_refused(me.store(value), Code::PERMISSION_DENIED, party, lines, what);
    require_refused(again.store(value), Code::PERMISSION_DENIED, party, lines, what);
    require_refused(me.copy(object, D), Code::PERMISSION_DENIED, party, lines, what);
    require_refused(me.execute(computation_name<copy_of, Data>(), {{object, D}}), Code::PERMISSION_DENIED, party,
                    lines, what);
}

/// What counts against the peer `maker` at `party` (all its sessions,
/// values still arriving included) once `reached` holds of it, or after 10 s
/// (the party's threads take a stream's start, or end a slow decode, in a
/// while).
fedpp::party::ObjectUsage counted_once(const network::Party& party, const std::string& maker,
                                       const std::function<bool(const fedpp::party::ObjectUsage&)>& reached) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    fedpp::party::ObjectUsage usage = party.host.usage(maker, "me#s1");
    while (!reached(usage) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        usage = party.host.usage(maker, "me#s1");
    }
    return usage;
}

/// What counts against 'me' at `party` becomes `expected` within 10 s.
void require_counted(const network::Party& party, fedpp::party::ObjectUsage expected) {
    const auto is_expected = [&](const fedpp::party::ObjectUsage& usage) {
        return usage.objects == expected.objects && usage.bytes == expected.bytes;
    };
    const fedpp::party::ObjectUsage usage = counted_once(party, "me", is_expected);
    INFO(usage.objects << " objects of " << usage.bytes << " bytes count against 'me'");
    REQUIRE(is_expected(usage));
}

/// The aggregate `object` at `me`'s party, fetched and decoded.
fedpp::Aggregate<LinearModel> fetch_aggregate(Peer& me, ObjectId object) {
    const auto fetched = me.fetch(object, type_of<fedpp::Aggregate<LinearModel>>());
    require_ok(fetched);
    return fedpp::from_bytes<fedpp::Aggregate<LinearModel>>(
        std::as_bytes(std::span(fetched.bytes.data(), fetched.bytes.size())), "the aggregate");
}

/// A data owner with its data published: "toy.data" (2x2), "toy.target".
void publish_toy_data(network::Party& party) {
    party.host.publish("toy.data", Data{{0, 0}, {0, 1}});
    party.host.publish("toy.target", Data{{0}, {0}});
}

/// The loss on a data owner's published toy data (publish_toy_data) of a
/// model `me` stores there: a value made from that data, held for `me`.
ObjectId loss_of_a_model(Peer& me, std::uint64_t seed) {
    const std::string D = type_of<Data>();
    const auto result = me.execute(computation_name<loss_of, LinearModel, Data, Data>(),
                                   {{me.store(a_model(seed)).object, type_of<LinearModel>()},
                                    {me.find("toy.data", D).object, D},
                                    {me.find("toy.target", D).object, D}});
    require_ok(result);
    return result.object;
}

/// The secure worker holding one model from Bob and one from Alice, each
/// stored there by the model owner ("me") and moved on by its data owner.
struct TwoContributions {
    network::Party secure{network::aggregator("secure_worker")};
    network::Party bob{network::data_owner("bob"), {{"secure_worker", secure.address()}}};
    network::Party alice{network::data_owner("alice"), {{"secure_worker", secure.address()}}};
    const std::string M = type_of<LinearModel>();
    Peer me_at_bob{bob, "me"};
    Peer me_at_alice{alice, "me"};
    Peer me{secure, "me"};
    ObjectId bobs = me_at_bob.forward(me_at_bob.store(a_model(1)).object, M, "secure_worker").object;
    ObjectId alices = me_at_alice.forward(me_at_alice.store(a_model(2)).object, M, "secure_worker").object;

    /// What a test at the aggregator uses, once both contributions are there.
    struct AtAggregator {
        network::Party& secure;
        const std::string& M;
        Peer& me;
        ObjectId bobs;
        ObjectId alices;
    };
    AtAggregator at_aggregator() {
        REQUIRE(bobs != 0);
        REQUIRE(alices != 0);
        return {secure, M, me, bobs, alices};
    }

    /// Another contribution of `owner`'s for the model owner: moved to the
    /// aggregator by `owner` itself, as its server does.
    ObjectId another(const std::string& owner, std::uint64_t seed) {
        const auto given = Peer(secure, owner, "").store(M, fedpp::to_bytes(a_model(seed)), "me#s1");
        require_ok(given);
        return given.object;
    }
};

} // namespace

TEST_CASE("hostile: a peer without a valid certificate of the federation cannot connect", "[network][hostile]") {
    network::Party bob(network::data_owner("bob"));
    SECTION("no client certificate at all") {
        CHECK(Peer(bob, "").list().status.error_code() == Code::UNAVAILABLE);
    }
    SECTION("a certificate named 'me' of another authority") {
        CHECK(Peer(bob, "me", "s1", network::certificates() / "rogue").list().status.error_code() ==
              Code::UNAVAILABLE);
    }
    SECTION("a certificate named 'bob' of another authority, to bob") {
        CHECK(Peer(bob, "bob", "s1", network::certificates() / "rogue").list().status.error_code() ==
              Code::UNAVAILABLE);
    }
    SECTION("a party reached as another: bob's server is not alice") {
        CHECK(Peer(bob, "me", "s1", network::certificates(), "alice").list().status.error_code() ==
              Code::UNAVAILABLE);
    }
    SECTION("the legal twin: me's certificate of the federation") {
        require_ok(Peer(bob, "me").list());
    }
    // The handshake fails before a request exists: nothing reaches the Host.
    CHECK(bob.log.empty());
    CHECK(bob.host.object_count() == 0);
}

TEST_CASE("a restarted party numbers its objects anew: an id held from before names nothing", "[network][identity]") {
    const fedpp::Bytes model = fedpp::to_bytes(a_model(1));
    const std::string type = fedpp::detail::value_type<LinearModel>().name;
    fedpp::ObjectId before = 0;
    {
        fedpp::party::Host aggregator(network::aggregator("secure_worker"));
        before = aggregator.store("me#s1", type, model);
    }
    fedpp::party::Host restarted(network::aggregator("secure_worker"));
    const fedpp::ObjectId after = restarted.store("me#s1", type, model);
    CHECK(after != before);
    CHECK_THROWS_AS(restarted.erase("me#s1", before), fedpp::PermissionDeniedError);
    CHECK(restarted.object_count() == 1);
}

TEST_CASE("a party with another's certificate or key refuses to start, naming what is wrong", "[network][identity]") {
    using fedpp::grpc::Credentials;
    const auto serve_bob = [](Credentials credentials) {
        fedpp::party::Host host(network::data_owner("bob"));
        fedpp::grpc::PartyServer server(host, {"127.0.0.1:0", std::move(credentials), {}, network::quick()});
        return server.port();
    };
    const auto files = network::certificates();
    SECTION("alice's certificate and key, for bob") {
        const std::string certificate = (files / "alice.pem").string();
        CHECK_THROWS_MATCHES(serve_bob(network::credentials_of("alice")), fedpp::ArgumentError,
                             Catch::Message("fedpp::grpc: party 'bob': its certificate '" + certificate +
                                            "' names 'alice', so peers would take it for 'alice'"));
    }
    SECTION("bob's certificate with alice's key") {
        CHECK_THROWS_WITH(serve_bob({files / "bob.pem", files / "alice.key", files / "ca.pem"}),
                          Catch::Contains("the key '" + (files / "alice.key").string() +
                                          "' is not the key of its certificate"));
    }
    SECTION("bob's certificate with its key encrypted: refused, not asked for") {
        CHECK_THROWS_WITH(serve_bob({files / "bob.pem", files / "bob-encrypted.key", files / "ca.pem"}),
                          Catch::Contains("is not an unencrypted PEM private key"));
    }
    SECTION("a certificate file that is not a certificate") {
        CHECK_THROWS_WITH(serve_bob({files / "bob.key", files / "bob.key", files / "ca.pem"}),
                          Catch::Contains("is not a PEM X.509 certificate"));
    }
    SECTION("a certificate authority file that is not a certificate") {
        CHECK_THROWS_WITH(serve_bob({files / "bob.pem", files / "bob.key", files / "bob.key"}),
                          Catch::Contains("'" + (files / "bob.key").string() + "' is not a PEM X.509 certificate"));
    }
    SECTION("another authority than the one that signed its certificate") {
        CHECK_THROWS_WITH(serve_bob({files / "bob.pem", files / "bob.key", files / "rogue" / "ca.pem"}),
                          Catch::Contains("its certificate '" + (files / "bob.pem").string() +
                                          "' is not signed by the certificate authority '" +
                                          (files / "rogue" / "ca.pem").string() + "'"));
        CHECK_THROWS_WITH(
            fedpp::grpc::GrpcTransport("me", {files / "me.pem", files / "me.key", files / "rogue" / "ca.pem"}, {},
                                       network::quick()),
            Catch::Contains("is not signed by the certificate authority"));
    }
    SECTION("the model owner's transport with bob's certificate") {
        CHECK_THROWS_WITH(fedpp::grpc::GrpcTransport("me", network::credentials_of("bob"), {}, network::quick()),
                          Catch::Contains("names 'bob', so peers would take it for 'bob'"));
    }
    SECTION("the legal twins: bob's own files, me's own files") {
        CHECK(serve_bob(network::credentials_of("bob")) > 0);
        CHECK_NOTHROW(fedpp::grpc::GrpcTransport("me", network::credentials_of("me"), {}, network::quick()));
    }
}

TEST_CASE("hostile: a peer touches only the objects it created or was given", "[network][hostile]") {
    network::Party bob(network::data_owner("bob"));
    publish_toy_data(bob);
    Peer me(bob, "me", "s1");
    const auto stored = me.store(a_model());
    require_ok(stored);
    const ObjectId id = stored.object;
    const std::string model = type_of<LinearModel>();
    const auto data = me.find("toy.data", type_of<Data>()).object;
    const auto target = me.find("toy.target", type_of<Data>()).object;
    const std::string loss = computation_name<loss_of, LinearModel, Data, Data>();
    const std::vector<std::pair<ObjectId, std::string>> inputs{{id, model}, {data, type_of<Data>()},
                                                               {target, type_of<Data>()}};
    std::size_t lines = 0;

    for (const auto& [who, session] : {std::pair<std::string, std::string>{"eve", "s1"}, {"me", "s2"}, {"me", ""}}) {
        INFO(who << "#" << session << " on me#s1's model");
        Peer other(bob, who, session);
        require_refused(other.fetch(id, model), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(other.copy(id, model), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(other.forward(id, model, "secure_worker"), Code::PERMISSION_DENIED, bob, lines,
                        "not the requester's");
        require_refused(other.execute(loss, inputs), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(other.erase(id), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    }
    // The owner's object is untouched: the legal twin.
    const auto twin = me.execute(loss, inputs);
    require_ok(twin);
    require_ok(me.erase(twin.object));

    // Forged ids: none, ids never given, one with the published bit.
    for (const ObjectId forged : {ObjectId{0}, id + 1000, ObjectId{123456789}, (ObjectId{1} << 63) | 42}) {
        INFO("forged id " << forged);
        require_refused(me.fetch(forged, model), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(me.execute(loss, {{forged, model}, inputs[1], inputs[2]}), Code::PERMISSION_DENIED, bob,
                        lines, "not the requester's");
        require_refused(me.erase(forged), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    }

    // Replayed after erase: the id is nobody's any more.
    require_ok(me.erase(id));
    require_refused(me.erase(id), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    require_refused(me.execute(loss, inputs), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    require_refused(me.copy(id, model), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    CHECK(bob.host.object_count() == 2); // the published data only

    SECTION("a data owner that lists its requesters refuses anyone else at the door") {
        auto policy = network::data_owner("alice");
        policy.requesters = {"me"};
        network::Party alice(policy);
        publish_toy_data(alice);
        Peer eve(alice, "eve");
        std::size_t alice_lines = 0;
        require_refused(eve.list(), Code::PERMISSION_DENIED, alice, alice_lines, "not one of this party's requesters");
        require_refused(eve.find("toy.data", type_of<Data>()), Code::PERMISSION_DENIED, alice, alice_lines,
                        "not one of this party's requesters");
        require_refused(eve.store(a_model()), Code::PERMISSION_DENIED, alice, alice_lines,
                        "not one of this party's requesters");
        require_refused(eve.withdraw(1), Code::PERMISSION_DENIED, alice, alice_lines,
                        "withdraw: not one of this party's requesters");
        require_ok(Peer(alice, "me").find("toy.data", type_of<Data>()));
        require_ok(Peer(alice, "me").withdraw(1));
    }
}

TEST_CASE("hostile: nothing leaves a data owner but public scalars", "[network][hostile]") {
    network::Party bob(network::data_owner("bob"));
    publish_toy_data(bob);
    Peer me(bob, "me");
    std::size_t lines = 0;
    const auto model = me.store(a_model()).object;
    const auto data = me.find("toy.data", type_of<Data>()).object;
    const auto target = me.find("toy.target", type_of<Data>()).object;

    require_refused(me.fetch(model, type_of<LinearModel>()), Code::PERMISSION_DENIED, bob, lines, "reading a");
    // A tensor computed from its data (a copy of it).
    const auto copied = me.execute(computation_name<copy_of, Data>(), {{data, type_of<Data>()}});
    require_ok(copied);
    require_refused(me.fetch(copied.object, type_of<Data>()), Code::PERMISSION_DENIED, bob, lines, "reading a");
    // The data set itself.
    require_refused(me.fetch(data, type_of<Data>()), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    // Asking for a model as if it were a scalar: the type is checked.
    const auto lie = me.fetch(model, "f64");
    CHECK(lie.status.error_code() == Code::NOT_FOUND);
    CHECK(lie.bytes.empty());

    // The legal twin: a loss, computed there, may leave.
    const auto loss = me.execute(computation_name<loss_of, LinearModel, Data, Data>(),
                                 {{model, type_of<LinearModel>()}, {data, type_of<Data>()}, {target, type_of<Data>()}});
    require_ok(loss);
    const auto fetched = me.fetch(loss.object, "f64");
    require_ok(fetched);
    CHECK(fetched.bytes.size() >= sizeof(double));
    // A count (u64) too.
    const auto count = me.store(std::uint64_t{3});
    require_ok(count);
    require_ok(me.fetch(count.object, type_of<std::uint64_t>()));
    CHECK(bob.log.lines().size() == lines);
}

TEST_CASE("hostile: a data owner's values move only to its own trusted aggregators", "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    network::Party other(network::aggregator("other_aggregator"));
    network::Party bob(network::data_owner("bob"),
                       {{"secure_worker", secure.address()}, {"other_aggregator", other.address()}});
    Peer me(bob, "me");
    std::size_t lines = 0;
    const auto model = me.store(a_model()).object;
    // other_aggregator is an aggregator (its certificate is of the
    // federation), but not one bob trusts.
    for (const std::string destination : {"eve", "other_aggregator", "me", "bob", "secure_worker#x", ""}) {
        INFO("to '" << destination << "'");
        require_refused(me.forward(model, type_of<LinearModel>(), destination), Code::PERMISSION_DENIED, bob, lines,
                        "not one of this party's trusted aggregators");
    }
    CHECK(other.host.object_count() == 0);
    // The legal twin.
    const auto moved = me.forward(model, type_of<LinearModel>(), "secure_worker");
    require_ok(moved);
    CHECK(secure.host.object_count() == 1);
    CHECK(bob.host.object_count() == 0);
    // It is the model owner's at the aggregator, not bob's.
    CHECK(Peer(secure, "me").list().object == 1);
    CHECK(Peer(secure, "bob", "").list().object == 0);
}

TEST_CASE("hostile: a data owner moves out no more values made from its data than its own budget, and then runs "
          "nothing on its data",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    auto small = network::aggregator("other_aggregator");
    small.max_value_bytes = 8; // refuses a model: a move that does not arrive
    network::Party limited(small);
    auto policy = network::data_owner("bob", {"secure_worker", "other_aggregator"});
    policy.max_released_updates = 4;
    network::Party bob(policy, {{"secure_worker", secure.address()}, {"other_aggregator", limited.address()}});
    publish_toy_data(bob);
    Peer me(bob, "me");
    const std::string M = type_of<LinearModel>();
    const std::string D = type_of<Data>();
    const auto data = me.find("toy.data", D).object;
    const auto target = me.find("toy.target", D).object;
    const auto loss_on_data = [&](ObjectId model) {
        return me.execute(computation_name<loss_of, LinearModel, Data, Data>(), {{model, M}, {data, D}, {target, D}});
    };
    // A model a computation on bob's data touched is made from it (the
    // computation could have changed it), and so is a copy of one, and a
    // computation's result.
    const auto trained = [&](std::uint64_t seed) {
        const auto model = me.store(a_model(seed)).object;
        const auto loss = loss_on_data(model);
        require_ok(loss);
        return std::pair{model, loss.object};
    };
    const auto [first, first_loss] = trained(1);
    const auto [second, second_loss] = trained(2);
    const auto copied = me.copy(first, M);
    require_ok(copied);
    const auto stash = [&] {
        const auto copy = me.execute(computation_name<copy_of, Data>(), {{data, D}});
        require_ok(copy);
        return copy.object;
    };
    const auto data_copy = stash();
    const auto kept_copy = stash();
    std::size_t lines = 0;

    // What is not made from bob's data spends nothing: the requester's own
    // values, and public scalars (which may be fetched as freely).
    require_ok(me.forward(me.store(a_model(9)).object, M, "secure_worker"));
    require_ok(me.forward(first_loss, "f64", "secure_worker"));
    // Nor does a move refused by bob for another reason.
    require_refused(me.forward(first, M, "eve"), Code::PERMISSION_DENIED, bob, lines,
                    "not one of this party's trusted aggregators");
    CHECK(bob.host.released_updates() == 0);
    // A move that left but did not arrive counts (bob cannot know that no
    // one read it), and the value, bob's again, stays made from his data.
    CHECK_FALSE(me.forward(first, M, "other_aggregator").status.ok());
    CHECK(bob.host.released_updates() == 1);
    // The twins: values made from bob's data leave (the model again, a copy,
    // a computation's result), each counted.
    require_ok(me.forward(first, M, "secure_worker"));
    require_ok(me.forward(copied.object, M, "secure_worker"));
    require_ok(me.forward(data_copy, D, "secure_worker"));
    CHECK(bob.host.released_updates() == 4);
    // The next is refused, and stays the requester's, at bob.
    require_refused(me.forward(second, M, "secure_worker"), Code::PERMISSION_DENIED, bob, lines,
                    "budget of released updates, Policy::max_released_updates, is spent");
    CHECK(bob.host.released_updates() == 4);
    CHECK(secure.host.object_count() == 5);
    // And bob now runs nothing on his data, nor on what was made from it (a
    // copy of it kept from before): nothing made from it could leave, and a
    // loss is an oracle on it.
    require_refused(loss_on_data(me.store(a_model(4)).object), Code::PERMISSION_DENIED, bob, lines,
                    "on its data (this data owner's budget of released updates");
    require_refused(me.execute(computation_name<copy_of, Data>(), {{kept_copy, D}}), Code::PERMISSION_DENIED, bob,
                    lines, "on its data (this data owner's budget of released updates");
    require_ok(me.forward(me.store(a_model(5)).object, M, "secure_worker")); // the requester's own still goes
    CHECK(secure.host.object_count() == 6);
    (void)second_loss;

    // A restarted party whose operator carries the count over.
    auto restarted = network::data_owner("bob");
    restarted.max_released_updates = 3;
    restarted.released_updates_before = 3;
    network::Party bob_again(restarted, {{"secure_worker", secure.address()}});
    publish_toy_data(bob_again);
    Peer me_again(bob_again, "me");
    std::size_t lines_again = 0;
    require_refused(me_again.execute(computation_name<loss_of, LinearModel, Data, Data>(),
                                     {{me_again.store(a_model(6)).object, M},
                                      {me_again.find("toy.data", type_of<Data>()).object, type_of<Data>()},
                                      {me_again.find("toy.target", type_of<Data>()).object, type_of<Data>()}}),
                    Code::PERMISSION_DENIED, bob_again, lines_again, "Policy::max_released_updates");

    // Only a data owner has this budget: set on an aggregator, it would bind nothing.
    auto aggregator = network::aggregator("secure_worker");
    aggregator.max_released_updates = 1;
    CHECK_THROWS_AS(fedpp::party::Host(aggregator), fedpp::ArgumentError);
    CHECK_THROWS_WITH(fedpp::party::Host(aggregator), Catch::Contains("bind only a data owner"));
}

TEST_CASE("hostile: a data owner lets out no more scalars made from its data than its own budget, fetched or "
          "moved on, and keeps their count across restarts",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    const auto directory =
        std::filesystem::temp_directory_path() / ("fedpp_scalar_budget_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    auto policy = network::data_owner("bob", {"secure_worker"});
    policy.max_released_scalars = 3;
    policy.released_scalars_file = (directory / "bob.scalars").string();
    const std::string M = type_of<LinearModel>();
    {
        network::Party bob(policy, {{"secure_worker", secure.address()}});
        publish_toy_data(bob);
        Peer me(bob, "me");
        std::size_t lines = 0;
        // A loss of a model the requester chose is a question about bob's data.
        const auto loss = [&](std::uint64_t seed) { return loss_of_a_model(me, seed); };
        // The requester's own scalar, and a refused read, spend nothing.
        require_ok(me.fetch(me.store(2.5).object, "f64"));
        require_refused(me.fetch(me.store(a_model(1)).object, M), Code::PERMISSION_DENIED, bob, lines, "reading a");
        CHECK(bob.host.released_scalars() == 0);
        // The twins: losses fetched, or moved to an aggregator (which would
        // give a scalar back freely), each counted.
        require_ok(me.fetch(loss(1), "f64"));
        require_ok(me.forward(loss(2), "f64", "secure_worker"));
        require_ok(me.fetch(loss(3), "f64"));
        CHECK(bob.host.released_scalars() == 3);
        // The next is refused either way; bob still trains (a model moves on
        // under the other budget), but no more of its answers leave.
        const auto held = loss(4);
        require_refused(me.fetch(held, "f64"), Code::PERMISSION_DENIED, bob, lines,
                        "reading a 'f64' (this data owner's budget of released scalars, "
                        "Policy::max_released_scalars, is spent)");
        require_refused(me.forward(held, "f64", "secure_worker"), Code::PERMISSION_DENIED, bob, lines,
                        "Policy::max_released_scalars");
        CHECK(bob.host.released_scalars() == 3);
        CHECK(bob.host.released_updates() == 0);
        require_ok(me.forward(me.store(a_model(5)).object, M, "secure_worker"));
    }
    // Restarted: the count comes back from the file.
    {
        network::Party bob(policy, {{"secure_worker", secure.address()}});
        publish_toy_data(bob);
        CHECK(bob.host.released_scalars() == 3);
    }
    // The twin: without the file, from released_scalars_before.
    auto fresh = policy;
    fresh.released_scalars_file.clear();
    fresh.released_scalars_before = 1;
    CHECK(fedpp::party::Host(fresh).released_scalars() == 1);
    // One file for both counts, or the budget set on an aggregator, is refused.
    auto shared = policy;
    shared.released_updates_file = (directory / "." / "bob.scalars").string(); // another spelling of it
    CHECK_THROWS_WITH(fedpp::party::Host(shared), Catch::Contains("are the same file"));
    const auto linked = directory / "bob.updates";
    std::filesystem::create_hard_link(policy.released_scalars_file, linked); // one file by two names
    shared.released_updates_file = linked.string();
    CHECK_THROWS_WITH(fedpp::party::Host(shared), Catch::Contains("are the same file"));
    std::filesystem::remove(linked);
    std::filesystem::copy_file(policy.released_scalars_file, linked); // the twin: two files, one count in each
    CHECK(fedpp::party::Host(shared).released_updates() == 3);
    auto aggregator = network::aggregator("secure_worker");
    aggregator.max_released_scalars = 1;
    CHECK_THROWS_WITH(fedpp::party::Host(aggregator), Catch::Contains("bind only a data owner"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("hostile: a fetched value stays until its requester erases it, so that an answer lost on the way is "
          "fetched again, spending a data owner's budget once",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    auto policy = network::data_owner("bob", {"secure_worker"});
    policy.max_released_scalars = 1;
    network::Party bob(policy, {{"secure_worker", secure.address()}});
    publish_toy_data(bob);
    Peer me(bob, "me");
    Peer other(bob, "eve");
    std::size_t lines = 0;
    const auto loss = [&](std::uint64_t seed) { return loss_of_a_model(me, seed); };
    const ObjectId first = loss(1);
    const std::size_t held = bob.host.object_count();
    const auto fetched = me.fetch(first, "f64");
    require_ok(fetched);
    CHECK(bob.host.released_scalars() == 1);
    CHECK(bob.host.object_count() == held); // kept: the answer may not have arrived
    // Fetched again (its answer lost, say): the same value, the budget
    // spent once; still the requester's only.
    const auto again = me.fetch(first, "f64");
    require_ok(again);
    CHECK(again.bytes == fetched.bytes);
    CHECK(bob.host.released_scalars() == 1);
    require_refused(other.fetch(first, "f64"), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    // Another value made from bob's data is another question: past the budget.
    require_refused(me.fetch(loss(2), "f64"), Code::PERMISSION_DENIED, bob, lines,
                    "Policy::max_released_scalars");
    // Erased once it arrived: gone, and nothing more to fetch.
    const std::size_t before_erase = bob.host.object_count();
    require_ok(me.erase(first));
    CHECK(bob.host.object_count() == before_erase - 1);
    require_refused(me.fetch(first, "f64"), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
    CHECK(bob.host.released_scalars() == 1);
}

TEST_CASE("hostile: a data owner that keeps its budget's count in a file starts again where it stopped",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    const auto directory = std::filesystem::temp_directory_path() / ("fedpp_budget_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    const std::string file = (directory / "bob.count").string();
    auto policy = network::data_owner("bob");
    policy.max_released_updates = 2;
    policy.released_updates_file = file;
    const std::string M = type_of<LinearModel>();
    const std::string D = type_of<Data>();
    // A party's life: `moves` models trained on its data leave.
    const auto life = [&](std::size_t moves) {
        network::Party bob(policy, {{"secure_worker", secure.address()}});
        publish_toy_data(bob);
        Peer me(bob, "me");
        const auto count_before = bob.host.released_updates();
        for (std::size_t i = 0; i < moves; ++i) {
            const auto model = me.store(a_model(i)).object;
            const auto loss =
                me.execute(computation_name<loss_of, LinearModel, Data, Data>(),
                           {{model, M}, {me.find("toy.data", D).object, D}, {me.find("toy.target", D).object, D}});
            if (!loss.status.ok()) {
                return std::pair{count_before, false};
            }
            require_ok(me.forward(model, M, "secure_worker"));
        }
        return std::pair{count_before, true};
    };
    const auto count_in_file = [&] {
        std::ifstream in(file);
        std::string text;
        std::getline(in, text);
        return text;
    };
    CHECK(life(1) == std::pair{std::uint64_t{0}, true});
    CHECK(count_in_file() == "1");
    // Restarted (or crashed: the count was written before the model left).
    CHECK(life(1) == std::pair{std::uint64_t{1}, true});
    CHECK(count_in_file() == "2");
    const auto [count, trained] = life(1);
    CHECK(count == 2);
    CHECK_FALSE(trained); // spent: it runs nothing on its data
    // The twin: without the file, a restart starts from released_updates_before.
    policy.released_updates_file.clear();
    CHECK(life(2) == std::pair{std::uint64_t{0}, true});
    // A file that holds no count: the party refuses to start.
    policy.released_updates_file = file;
    std::ofstream(file) << "two\n";
    CHECK_THROWS_WITH(fedpp::party::Host(policy), Catch::Contains("holds no count"));
    std::filesystem::remove_all(directory);
}

TEST_CASE("hostile: only registered computations run, on objects of the types they take", "[network][hostile]") {
    network::Party bob(network::data_owner("bob"));
    publish_toy_data(bob);
    Peer me(bob, "me");
    std::size_t lines = 0;
    const auto model = me.store(a_model()).object;
    const auto data = me.find("toy.data", type_of<Data>()).object;
    const auto target = me.find("toy.target", type_of<Data>()).object;
    const std::string loss = computation_name<loss_of, LinearModel, Data, Data>();

    for (const std::string name : {"hostile.unknown", "hostile.loss", "", "system(\"rm -rf /\")"}) {
        require_refused(me.execute(name, {{model, type_of<LinearModel>()}}), Code::PERMISSION_DENIED, bob, lines,
                        "a computation this party's program does not have");
    }
    // Objects of the wrong types, in the wrong order, too few, too many.
    const std::string M = type_of<LinearModel>();
    const std::string D = type_of<Data>();
    for (const auto& inputs : std::vector<std::vector<std::pair<ObjectId, std::string>>>{
             {{data, D}, {model, M}, {target, D}},
             {{model, M}, {data, D}},
             {{model, M}, {data, D}, {target, D}, {target, D}},
             {{model, D}, {data, D}, {target, D}},           // a model claimed to be a tensor
             {{model, M}, {data, M}, {target, D}},           // a tensor claimed to be a model
             {{model, "no.such.type"}, {data, D}, {target, D}}}) {
        const auto result = me.execute(loss, inputs);
        INFO(result.status.error_message());
        CHECK(result.status.error_code() == Code::NOT_FOUND);
    }
    CHECK(bob.log.lines().size() == lines);
    // Arguments it does not take: the computation fails (its message
    // withheld, as any of its errors).
    CHECK(me.execute(loss, {{model, M}, {data, D}, {target, D}}, fedpp::Bytes(3)).status.error_code() ==
          Code::ABORTED);
    // The legal twin.
    require_ok(me.execute(loss, {{model, M}, {data, D}, {target, D}}));
}

TEST_CASE("hostile: no value over the party's size limit", "[network][hostile]") {
    auto policy = network::data_owner("bob");
    policy.max_value_bytes = 4096;
    network::Party bob(policy);
    Peer me(bob, "me");
    std::size_t lines = 0;
    const Data big = Data(Eigen::MatrixXd::Zero(32, 32)); // 8 KiB and a header
    const fedpp::Bytes bytes = fedpp::to_bytes(big);
    REQUIRE(bytes.size() > 4096);

    SECTION("announced honestly") {
        require_refused(me.store(type_of<Data>(), bytes), Code::PERMISSION_DENIED, bob, lines, "bytes");
    }
    SECTION("announced small, sent big") {
        const auto result = me.store(type_of<Data>(), bytes, {}, std::uint64_t{100}, 64);
        CHECK(result.status.error_code() == Code::INVALID_ARGUMENT);
    }
    SECTION("announced at the limit, sent big") {
        const auto result = me.store(type_of<Data>(), bytes, {}, std::uint64_t{4096}, 1024);
        CHECK(result.status.error_code() == Code::INVALID_ARGUMENT);
    }
    SECTION("announced beyond any memory") {
        require_refused(me.store(type_of<Data>(), bytes, {}, ~std::uint64_t{0}), Code::PERMISSION_DENIED, bob,
                        lines, "bytes");
    }
    CHECK(bob.host.object_count() == 0);
    // The legal twin.
    require_ok(me.store(Data{{1, 2}, {3, 4}}));
}

TEST_CASE("hostile: a peer has no more objects made at a party than its quota, all its sessions together, and "
          "its gifts have a quota for each requester heard from and one for all others",
          "[network][hostile]") {
    auto aggregator_policy = network::aggregator("secure_worker");
    aggregator_policy.max_objects_per_requester = 2;
    network::Party secure(aggregator_policy);
    const Data value{{1, 2}};
    Peer me_at_secure(secure, "me"); // (session s1, as `me` below: heard from there once it stores)
    require_ok(me_at_secure.store(value));
    require_ok(Peer(secure, "alice", "a1").store(value));

    auto policy = network::data_owner("bob"); // (it trusts secure_worker)
    policy.max_objects_per_requester = 3;
    network::Party bob(policy, fedpp::grpc::Peers{{"secure_worker", secure.address()}});
    Peer me(bob, "me");
    Peer again(bob, "me", "s2"); // another session of the same certificate
    std::size_t lines = 0;
    const std::string D = type_of<Data>();
    const std::string quota = "'me' has made 3 objects here, its quota (max_objects_per_requester)";
    const auto first = me.store(value);
    require_ok(first);
    require_ok(again.store(value));
    const auto copied = me.copy(first.object, D);
    require_ok(copied);
    require_no_more_objects(me, again, value, first.object, bob, lines, quota);
    CHECK(bob.host.object_count() == 3);
    // The legal twins: another peer has a quota of its own, and an object
    // erased, or moved on, makes room for one more.
    require_ok(Peer(bob, "alice").store(value));
    require_ok(me.erase(copied.object));
    require_ok(me.execute(computation_name<copy_of, Data>(), {{first.object, D}}));
    require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
    require_ok(me.forward(first.object, D, "secure_worker"));
    require_ok(me.store(value));
    require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);

    // At the aggregator, the value bob moved there for me#s1 counts against
    // bob, for me, heard from there: bob can give me one more, and alice
    // (heard from too) as many as its quota: one model owner cannot use up
    // a data owner's quota for another. Gifts to requesters not heard from
    // share one quota, so that made-up owners get no more.
    const std::string M = type_of<LinearModel>();
    Peer giver(secure, "bob", "");
    std::size_t secure_lines = 0;
    require_ok(giver.store(M, fedpp::to_bytes(a_model()), "me#s1"));
    require_refused(giver.store(M, fedpp::to_bytes(a_model()), "me#s1"), Code::PERMISSION_DENIED, secure,
                    secure_lines, "'bob' has made 2 objects here for 'me', its quota");
    require_ok(giver.store(M, fedpp::to_bytes(a_model()), "alice#a1"));
    require_ok(giver.store(M, fedpp::to_bytes(a_model()), "made-up#1"));
    require_ok(giver.store(M, fedpp::to_bytes(a_model()), "me#never-heard-from"));
    require_refused(giver.store(M, fedpp::to_bytes(a_model()), "made-up#2"), Code::PERMISSION_DENIED, secure,
                    secure_lines, "'bob' has made 2 objects here for requesters not heard from, its quota");
    require_ok(me_at_secure.store(value)); // (and me's own objects have their own quota)

    // A requester silent for longer than the lease: its objects go, and
    // with them what counted against it.
    auto leased = network::data_owner("alice");
    leased.max_objects_per_requester = 1;
    leased.lease = std::chrono::milliseconds(2000);
    network::Party alice(leased);
    Peer me_at_alice(alice, "me");
    std::size_t alice_lines = 0;
    require_ok(me_at_alice.store(value));
    require_refused(me_at_alice.store(value), Code::PERMISSION_DENIED, alice, alice_lines, "'me' has made 1 objects");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (alice.host.object_count() != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(alice.host.object_count() == 0);
    require_ok(me_at_alice.store(value));
}

TEST_CASE("hostile: a peer's objects at a party hold no more bytes than its quota, all its sessions together, a "
          "computation's result measured once it is made",
          "[network][hostile]") {
    const Data value{{1, 2}};
    const std::uint64_t size = fedpp::to_bytes(value).size();
    auto policy = network::data_owner("bob");
    policy.max_bytes_per_requester = 2 * size + size / 2; // two such values, not three
    network::Party bob(policy);
    Peer me(bob, "me");
    Peer again(bob, "me", "s2"); // another session of the same certificate
    std::size_t lines = 0;
    const std::string D = type_of<Data>();
    const std::string quota = "'me' has made objects of " + std::to_string(2 * size) + " bytes here: one of " +
                              std::to_string(size) + " more would pass its quota of " +
                              std::to_string(policy.max_bytes_per_requester) + " bytes (max_bytes_per_requester)";
    const auto first = me.store(value);
    require_ok(first);
    const auto second = again.store(value);
    require_ok(second);
    // (A computation runs, as its result's size is known only then, and its
    // result is refused and deleted.)
    require_no_more_objects(me, again, value, first.object, bob, lines, quota);
    CHECK(bob.host.object_count() == 2);
    // A value larger than what is left, alone within the quota, is refused too.
    require_ok(again.erase(second.object));
    const Data larger{{1, 2, 3, 4, 5, 6, 7, 8}};
    const std::uint64_t larger_size = fedpp::to_bytes(larger).size();
    REQUIRE(larger_size > size + size / 2);
    REQUIRE(larger_size <= policy.max_bytes_per_requester);
    require_refused(me.store(larger), Code::PERMISSION_DENIED, bob, lines,
                    "one of " + std::to_string(larger_size) + " more would pass its quota");
    CHECK(bob.host.object_count() == 1);
    // The legal twins: another peer has a quota of its own, and what is
    // left holds a value of the size that fits, made by a store, a copy or
    // a computation.
    require_ok(Peer(bob, "alice").store(larger));
    const auto copied = me.copy(first.object, D);
    require_ok(copied);
    require_ok(me.erase(copied.object));
    const auto computed = me.execute(computation_name<copy_of, Data>(), {{first.object, D}});
    require_ok(computed);
    require_ok(me.erase(computed.object));

    // An object moving on counts until it has arrived: while its forward is
    // under way (the transport's part played here by the test) and after
    // one that failed (counted once, as before), not once it has arrived.
    const auto moving = me.store(value);
    require_ok(moving);
    // (bob knows no address for secure_worker: the transport's forward fails)
    CHECK_FALSE(me.forward(moving.object, D, "secure_worker").status.ok());
    lines = bob.log.lines().size();
    require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
    for (const bool arrives : {false, true}) {
        const fedpp::Bytes bytes = bob.host.prepare_forward("me#s1", moving.object, D, "secure_worker");
        CHECK(bytes.size() == size);
        require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
        if (arrives) {
            bob.host.finish_forward(moving.object, "secure_worker", bytes.size());
        } else {
            bob.host.cancel_forward(moving.object);
            require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
        }
    }
    require_ok(me.store(value));

    // At the quota exactly, a computation is refused before it runs (its
    // result would have at least a byte).
    auto exact = network::data_owner("alice");
    exact.max_bytes_per_requester = 2 * size;
    network::Party alice(exact);
    Peer me_at_alice(alice, "me");
    std::size_t alice_lines = 0;
    const auto kept = me_at_alice.store(value);
    require_ok(kept);
    const auto spare = me_at_alice.store(value);
    require_ok(spare);
    require_refused(me_at_alice.execute(computation_name<copy_of, Data>(), {{kept.object, D}}),
                    Code::PERMISSION_DENIED, alice, alice_lines,
                    "'me' has made objects of " + std::to_string(2 * size) + " bytes here, its quota of " +
                        std::to_string(2 * size) + " bytes (max_bytes_per_requester): no more until");
    CHECK(alice.host.object_count() == 2);
    require_ok(me_at_alice.erase(spare.object));
    require_ok(me_at_alice.execute(computation_name<copy_of, Data>(), {{kept.object, D}}));
}

TEST_CASE("hostile: values still arriving at a party count against their peer's quota, so that its concurrent "
          "sessions never hold more than the quota together",
          "[network][hostile]") {
    // Before, a store's check only read what was kept: every session of one
    // peer could announce a value that fit, and have it decoded, at once.
    const Data value{{1, 2}};
    const fedpp::Bytes bytes = fedpp::to_bytes(value);
    const std::uint64_t size = bytes.size();
    auto policy = network::data_owner("bob");
    policy.max_bytes_per_requester = 2 * size + size / 2; // two such values, not three
    network::Party bob(policy);
    Peer me(bob, "me");
    Peer again(bob, "me", "s2");
    Peer third(bob, "me", "s3");
    std::size_t lines = 0;
    const std::string D = type_of<Data>();
    // Two values announced, their data not yet sent, hold their room: a
    // third is refused from any session, and nothing is kept yet.
    constexpr std::chrono::seconds patient(60);
    auto first = me.stalled_store(D, size, patient);
    auto second = again.stalled_store(D, size, patient);
    require_counted(bob, {2, 2 * size});
    CHECK(bob.host.object_count() == 0);
    const std::string quota = "'me' has made objects of " + std::to_string(2 * size) + " bytes here: one of " +
                              std::to_string(size) + " more would pass its quota";
    require_refused(third.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
    require_refused(me.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
    // The legal twins: a value that arrives is kept in the room it held
    // (counted once), and one that does not gives its room back, cancelled
    // or not decoding.
    const auto arrived = first->finish(bytes);
    require_ok(arrived);
    CHECK(arrived.object != 0);
    second->context.TryCancel();
    CHECK_FALSE(second->writer->Finish().ok());
    require_counted(bob, {1, size});
    fedpp::Bytes garbled = bytes;
    garbled.front() = std::byte{0xff}; // (its type tag's length: far more than it has)
    auto broken = third.stalled_store(D, size, patient);
    require_counted(bob, {2, 2 * size});
    CHECK_FALSE(broken->finish(garbled).status.ok());
    require_counted(bob, {1, size});
    CHECK(bob.host.object_count() == 1);
    require_ok(third.store(value));
    require_refused(again.store(value), Code::PERMISSION_DENIED, bob, lines, quota);
    // A value still arriving is an object in the object quota too: at that
    // quota, a computation is refused before it runs.
    require_ok(me.erase(arrived.object));
    auto exact = network::data_owner("alice");
    exact.max_objects_per_requester = 2;
    network::Party alice(exact);
    Peer me_at_alice(alice, "me");
    Peer again_at_alice(alice, "me", "s2");
    std::size_t alice_lines = 0;
    const auto kept = me_at_alice.store(value);
    require_ok(kept);
    auto stalled = again_at_alice.stalled_store(D, size, patient);
    require_counted(alice, {2, 2 * size});
    require_refused(me_at_alice.execute(computation_name<copy_of, Data>(), {{kept.object, D}}),
                    Code::PERMISSION_DENIED, alice, alice_lines, "'me' has made 2 objects here, its quota");
    require_ok(stalled->finish(bytes));
    CHECK(alice.host.object_count() == 2);
}

TEST_CASE("hostile: a value whose store got no answer is in one place: its sender asks what became of it, and a "
          "number is used once",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}}, "127.0.0.1:0",
                       [](auto& options) { options.connection.transfer_timeout = std::chrono::milliseconds(500); });
    Peer me(bob, "me");
    const std::string S = type_of<SlowValue>();
    const auto stored = me.store(SlowValue{42});
    require_ok(stored);
    const std::size_t at_bob = bob.host.object_count();
    // How many objects count against `maker`'s requests at `party`, once
    // they are `objects` or after 10 s (counted_once).
    const auto settled = [](const network::Party& party, const std::string& maker, std::size_t objects) {
        return counted_once(party, maker, [&](const fedpp::party::ObjectUsage& usage) {
                   return usage.objects == objects;
               }).objects;
    };
    // The aggregator would store it after bob stopped waiting (a second and
    // a half against half a second): bob asks what became of it, which
    // withdraws it there, and keeps it, saying so. Before, bob kept it and
    // the aggregator stored it too, owned by "me" unknown to it.
    slow_decode_ms = 1500;
    const auto moved = me.forward(stored.object, S, "secure_worker");
    INFO(moved.status.error_message());
    CHECK(moved.status.error_message().find("did not arrive there (and will not)") != std::string::npos);
    CHECK(bob.host.object_count() == at_bob);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(settled(secure, "bob", 0) == 0);
    // With the requester's own deadline shorter than bob's for the stream
    // (here 4 s against bob's 30 s), bob answers within it.
    network::Party patient_bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    Peer me_at_patient(patient_bob, "me");
    slow_decode_ms = 0;
    const auto kept = me_at_patient.store(SlowValue{43});
    require_ok(kept);
    slow_decode_ms = 5000;
    const auto in_time = me_at_patient.forward(kept.object, S, "secure_worker", std::chrono::seconds(4));
    INFO(in_time.status.error_message());
    CHECK(in_time.status.error_message().find("did not arrive there") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(settled(secure, "bob", 0) == 0);
    // A party does not keep a value whose sender stopped waiting before it
    // was stored (here half a second against a second and a half), numbered
    // or not: so if a question gets no answer either, the value is still
    // not in two places.
    Peer as_bob(secure, "bob", "");
    const fedpp::Bytes slow_bytes = fedpp::to_bytes(SlowValue{44});
    slow_decode_ms = 1500;
    for (const std::uint64_t transfer : {0, 11}) {
        const auto given_up =
            as_bob.store(S, slow_bytes, "me#s1", {}, 1 << 16, transfer, std::chrono::milliseconds(500));
        CHECK(given_up.status.error_code() == Code::DEADLINE_EXCEEDED);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        CHECK(settled(secure, "bob", 0) == 0);
    }
    slow_decode_ms = 0;
    CHECK(as_bob.withdraw(11).object == 0);
    // The legal twin: a move that is quick enough stands.
    const auto quick_move = me.forward(stored.object, S, "secure_worker");
    require_ok(quick_move);
    CHECK(bob.host.object_count() == at_bob - 1);
    CHECK(secure.host.object_count() == 1);

    // A number is its sender's (bob's certificate) and used once: sent
    // again, it is refused; asked after once arrived, it is the object it
    // became (again if asked again); withdrawn while arriving or before it
    // came, it is not kept; asked by another peer, it is none of its own.
    // (At an aggregator of its own: no slow value above is still counted.)
    network::Party numbering(network::aggregator("secure_worker"));
    Peer numbered_bob(numbering, "bob", "");
    Peer as_alice(numbering, "alice", "");
    std::size_t lines = 0;
    const fedpp::Bytes bytes = fedpp::to_bytes(SlowValue{7});
    const auto first = numbered_bob.store(S, bytes, "me#s1", {}, 1 << 16, 7);
    require_ok(first);
    require_refused(numbered_bob.store(S, bytes, "me#s1", {}, 1 << 16, 7), Code::PERMISSION_DENIED, numbering,
                    lines, "a number that came before or was withdrawn");
    CHECK(numbered_bob.withdraw(7).object == first.object);
    CHECK(numbered_bob.withdraw(7).object == first.object); // (an answer lost in turn is asked again)
    const auto not_hers = as_alice.withdraw(7);
    require_ok(not_hers);
    CHECK(not_hers.object == 0);
    CHECK(numbered_bob.withdraw(7).object == first.object);
    auto arriving = numbered_bob.stalled_store(S, bytes.size(), std::chrono::seconds(60), "me#s1", 8);
    REQUIRE(settled(numbering, "bob", 2) == 2); // (its room held: it is arriving)
    const auto withdrawn = numbered_bob.withdraw(8);
    require_ok(withdrawn);
    CHECK(withdrawn.object == 0);
    const auto late = arriving->finish(bytes);
    INFO(late.status.error_message());
    CHECK(late.status.error_message().find("withdrawn by its sender while it arrived") != std::string::npos);
    CHECK(numbered_bob.withdraw(9).object == 0);
    require_refused(numbered_bob.store(S, bytes, "me#s1", {}, 1 << 16, 9), Code::PERMISSION_DENIED, numbering,
                    lines, "value numbered 9");
    CHECK(numbered_bob.withdraw(0).status.error_code() == Code::INVALID_ARGUMENT);
    CHECK(numbering.host.object_count() == 1);
    // The legal twin: a value under a new number, or none, is stored.
    require_ok(numbered_bob.store(S, bytes, "me#s1", {}, 1 << 16, 10));
    require_ok(numbered_bob.store(S, bytes, "me#s1"));
    CHECK(numbering.host.object_count() == 3);

    // A model owner's stores are numbered alike: one that got no answer in
    // time is not kept at the party, and the model owner is told so.
    auto impatient = network::quick();
    impatient.transfer_timeout = std::chrono::milliseconds(500);
    fedpp::Federation hook("me", network::transport("me", {{"bob", &bob}}, impatient));
    fedpp::Worker<fedpp::DataOwner<"bob">> bob_worker(hook);
    const std::size_t before = bob.host.object_count();
    REQUIRE(settled(bob, "me", 0) == 0);
    slow_decode_ms = 1500;
    CHECK_THROWS_WITH(fedpp::send(SlowValue{5}, bob_worker), Catch::Contains("did not arrive there (and will not)"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(settled(bob, "me", 0) == 0);
    CHECK(bob.host.object_count() == before);
    slow_decode_ms = 0;
    {
        const auto sent = fedpp::send(SlowValue{6}, bob_worker); // (the legal twin)
        CHECK(bob.host.object_count() == before + 1);
    }
    CHECK(bob.host.object_count() == before);
}

TEST_CASE("hostile: a copy or a computation's result whose answer was lost is settled: its requester asks what "
          "became of it, and one it stopped waiting for is not kept",
          "[network][hostile]") {
    struct ResetSlowness {
        ~ResetSlowness() { slow_decode_ms = 0; } // (should a check fail midway: later tests are not slowed)
    } const reset_slowness;
    network::Party bob(network::data_owner("bob"));
    Peer me(bob, "me");
    std::size_t lines = 0;
    const std::string S = type_of<SlowValue>();
    const std::string slow = computation_name<slow_copy_of, SlowValue>();
    const auto stored = me.store(SlowValue{1});
    require_ok(stored);
    const std::size_t held = bob.host.object_count();
    // Asked after it was made: the object it became (again if asked again).
    // A number is used once, by whichever request; withdrawn before it
    // came, it is refused.
    const auto copied = me.copy(stored.object, S, 21);
    require_ok(copied);
    CHECK(me.withdraw(21).object == copied.object);
    CHECK(me.withdraw(21).object == copied.object);
    require_refused(me.copy(stored.object, S, 21), Code::PERMISSION_DENIED, bob, lines,
                    "a copy numbered 21, a number that came before or was withdrawn");
    require_refused(me.execute(slow, {{stored.object, S}}, {}, 21), Code::PERMISSION_DENIED, bob, lines,
                    "a result numbered 21");
    const auto result = me.execute(slow, {{stored.object, S}}, {}, 22);
    require_ok(result);
    CHECK(me.withdraw(22).object == result.object);
    CHECK(me.withdraw(22).carried_out);
    CHECK(me.withdraw(23).object == 0);
    CHECK_FALSE(me.withdraw(23).carried_out);
    require_refused(me.copy(stored.object, S, 23), Code::PERMISSION_DENIED, bob, lines, "a copy numbered 23");
    CHECK(bob.host.object_count() == held + 2);
    // A computation without a result that ran: none, carried out (the
    // transport tells its caller it ran); withdrawn before it came: not.
    const std::string counting = computation_name<count_runs, SlowValue>();
    const int counted = slow_runs;
    require_ok(me.execute(counting, {{stored.object, S}}, {}, 28));
    CHECK(slow_runs == counted + 1);
    CHECK(me.withdraw(28).object == 0);
    CHECK(me.withdraw(28).carried_out);
    CHECK_FALSE(me.withdraw(29).carried_out);
    require_refused(me.execute(counting, {{stored.object, S}}, {}, 29), Code::PERMISSION_DENIED, bob, lines,
                    "a result numbered 29");
    CHECK(slow_runs == counted + 1);
    CHECK(bob.host.object_count() == held + 2);

    // Made after its requester stopped waiting (a second and a half against
    // half a second), numbered or not: not kept, and none to withdraw. (Each
    // is asked for once the one before it was made: none waits its turn.)
    // Whether bob holds `objects` once the request made last settled (0.3 s
    // after it was made, then within 2 s).
    const auto holds = [&](std::size_t objects) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        for (int tries = 0; bob.host.object_count() != objects && tries < 200; ++tries) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return bob.host.object_count() == objects;
    };
    slow_decode_ms = 1500;
    for (const std::uint64_t transfer : {0, 24}) {
        const int decoded = slow_decodes_ended;
        CHECK(me.copy(stored.object, S, transfer, std::chrono::milliseconds(500)).status.error_code() ==
              Code::DEADLINE_EXCEEDED);
        CHECK(reaches(slow_decodes_ended, decoded + 1));
        CHECK(holds(held + 2));
        const int runs = slow_runs;
        CHECK(me.execute(slow, {{stored.object, S}}, {}, transfer == 0 ? 0 : transfer + 1,
                         std::chrono::milliseconds(500))
                  .status.error_code() == Code::DEADLINE_EXCEEDED);
        CHECK(reaches(slow_runs, runs + 1));
        CHECK(holds(held + 2));
    }
    // Withdrawn while it is made: not kept; withdrawn while it waits for its
    // turn (behind that one): not carried out. Either way its requester is
    // told so.
    const int decodes = slow_decodes;
    const int runs = slow_runs;
    std::optional<Peer::Result> late_copy;
    std::optional<Peer::Result> late_run;
    std::thread copier([&] { late_copy = me.copy(stored.object, S, 26); });
    CHECK(reaches(slow_decodes, decodes + 1)); // (the copy is being made)
    std::thread runner([&] { late_run = me.execute(slow, {{stored.object, S}}, {}, 27); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // (it reaches bob, and waits)
    const auto run_withdrawn = me.withdraw(27);
    const auto copy_withdrawn = me.withdraw(26);
    copier.join();
    runner.join();
    slow_decode_ms = 0;
    CHECK(copy_withdrawn.object == 0);
    CHECK(run_withdrawn.object == 0);
    REQUIRE(late_copy);
    REQUIRE(late_run);
    INFO(late_copy->status.error_message());
    INFO(late_run->status.error_message());
    CHECK(late_copy->status.error_message().find("withdrawn by its requester while it was made: not kept") !=
          std::string::npos);
    // (or, had its request come after the question, refused as withdrawn)
    CHECK((late_run->status.error_message().find("withdrawn by its requester before it was made: not carried out") !=
               std::string::npos ||
           late_run->status.error_message().find("a result numbered 27, a number that came before or was withdrawn") !=
               std::string::npos));
    CHECK(slow_runs == runs);
    for (const std::uint64_t transfer : {24, 25, 26, 27}) {
        CHECK(me.withdraw(transfer).object == 0);
    }
    CHECK(bob.host.object_count() == held + 2);

    // A model owner's copies and computations are numbered alike: one that
    // got no answer in time is not kept at the party, and it is told so.
    // (Its question, Withdraw, within the same call_timeout: here a second
    // and a half, against four seconds to make the copy or the result.)
    auto impatient = network::quick();
    impatient.call_timeout = std::chrono::milliseconds(1500);
    impatient.execute_timeout = std::chrono::milliseconds(1500);
    fedpp::Federation hook("me", network::transport("me", {{"bob", &bob}}, impatient));
    fedpp::Worker<fedpp::DataOwner<"bob">> bob_worker(hook);
    const auto sent = fedpp::send(SlowValue{5}, bob_worker);
    const std::size_t before = bob.host.object_count();
    slow_decode_ms = 4000;
    const int decoded = slow_decodes_ended;
    CHECK_THROWS_WITH((void)sent.copy(), Catch::Contains("the copy was not made there (and will not be)"));
    CHECK(reaches(slow_decodes_ended, decoded + 1));
    CHECK(holds(before));
    const int runs_before = slow_runs;
    CHECK_THROWS_WITH((void)bob_worker.run(slow_copy_of, sent),
                      Catch::Contains("no result of the computation is kept there (it may have run)"));
    CHECK(reaches(slow_runs, runs_before + 1));
    CHECK(holds(before));
    slow_decode_ms = 0;
    { // (the legal twins)
        const auto copy = sent.copy();
        const auto again = bob_worker.run(slow_copy_of, sent);
        CHECK(bob.host.object_count() == before + 2);
    }
    CHECK(bob.host.object_count() == before);
}

TEST_CASE("hostile: an aggregate whose result is not kept (withdrawn, or its requester stopped waiting) spent its "
          "contributions all the same",
          "[network][hostile]") {
    // Else a requester that withdraws its fedavg's result could run it
    // again, a contribution counted in two aggregates.
    TwoContributions parties;
    auto [secure, M, me, bobs, alices] = parties.at_aggregator();
    std::size_t lines = secure.log.lines().size();
    const std::size_t held = secure.host.object_count();
    const std::vector<fedpp::party::NamedObject> inputs{{bobs, M}, {alices, M}};
    // One withdrawn before its turn is not carried out: it spends nothing
    // (the next one runs on the same contributions, a NetworkError below and
    // not a refusal).
    const auto not_started = [] { throw fedpp::NetworkError("withdrawn by its requester before its turn"); };
    CHECK_THROWS_WITH(secure.host.execute("me#s1", fedavg_name(), inputs, fedavg_arguments(2), {.start = not_started}),
                      Catch::Contains("before its turn"));
    CHECK(secure.host.object_count() == held);
    const auto not_kept = [](ObjectId) { throw fedpp::NetworkError("withdrawn by its requester while it was made"); };
    CHECK_THROWS_WITH(secure.host.execute("me#s1", fedavg_name(), inputs, fedavg_arguments(2), {.accept = not_kept}),
                      Catch::Contains("while it was made"));
    CHECK(secure.host.object_count() == held);
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(2)),
                    Code::PERMISSION_DENIED, secure, lines, "went into an aggregate already");
    // The legal twin: new contributions, their result kept.
    const ObjectId eves = parties.another("eve", 3);
    const ObjectId carols = parties.another("client-0", 4);
    require_ok(me.execute(fedavg_name(), {{eves, M}, {carols, M}}, fedavg_arguments(2)));
    CHECK(secure.host.object_count() == held + 3);
}

TEST_CASE("hostile: a value stored at a party is its owner's only once its store has settled, and a move leaves "
          "time to settle it",
          "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    Peer me(bob, "me");
    const std::string M = type_of<LinearModel>();
    const fedpp::Bytes bytes = fedpp::to_bytes(a_model(3));
    const auto named = [] { return std::string("a test's value"); };
    const auto received = [&] { // how many values bob counts in from 'me'
        std::size_t count = 0;
        for (const auto& line : bob.host.traffic().lines()) {
            count += line.direction == "in" && line.peer == "me" ? line.count : 0;
        }
        return count;
    };
    // Until the transport accepts it (its sender did not withdraw it or stop
    // waiting), a value stored is no request's: its owner does not list it
    // or reach it, and a value refused then is gone, its room given back,
    // and not counted in bob's traffic.
    const std::size_t before = bob.host.object_count();
    ObjectId seen = 0;
    fedpp::ByteReader refused(bytes, named);
    CHECK_THROWS_WITH(bob.host.store("me#s1", M, refused, {},
                                     [&](ObjectId id) {
                                         seen = id;
                                         CHECK(bob.host.list("me#s1").empty());
                                         CHECK_THROWS_WITH(bob.host.copy("me#s1", id, M),
                                                           Catch::Contains("which is not the requester's"));
                                         throw fedpp::NetworkError("withdrawn meanwhile");
                                     }),
                      Catch::Contains("withdrawn meanwhile"));
    CHECK(seen != 0);
    CHECK(bob.host.object_count() == before);
    CHECK(bob.host.usage("me", "me#s1").objects == 0);
    CHECK(bob.host.list("me#s1").empty());
    CHECK(received() == 0);
    // The legal twin: accepted, it is its owner's.
    fedpp::ByteReader accepted(bytes, named);
    const ObjectId kept = bob.host.store("me#s1", M, accepted, {}, [](ObjectId) {});
    REQUIRE(bob.host.list("me#s1").size() == 1);
    CHECK(bob.host.list("me#s1").front().id == kept);
    CHECK(bob.host.usage("me", "me#s1").objects == 1);
    CHECK(received() == 1);

    // A requester that leaves a party less than 2 s of its deadline to move
    // a value on (its stream there, and the question of what became of it
    // if no answer comes) is refused before anything moves: it could not
    // hear how the move ended.
    const auto hurried = me.forward(kept, M, "secure_worker", std::chrono::seconds(1));
    INFO(hurried.status.error_message());
    CHECK(hurried.status.error_code() == Code::INVALID_ARGUMENT);
    CHECK(hurried.status.error_message().find("a forward needs 2000 ms of its requester's deadline") !=
          std::string::npos);
    CHECK(secure.host.object_count() == 0);
    CHECK(bob.host.list("me#s1").size() == 1);
    // The legal twin: with time enough, it moves.
    require_ok(me.forward(kept, M, "secure_worker"));
    CHECK(secure.host.object_count() == 1);
    CHECK(bob.host.list("me#s1").empty());
}

TEST_CASE("hostile: a move whose answer was lost is settled: its requester asks how it ended, and a number is used "
          "once",
          "[network][hostile]") {
    using namespace std::chrono_literals;
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    Peer me(bob, "me");
    std::size_t lines = 0;
    const std::string S = type_of<SlowValue>();
    const auto stored = me.store(SlowValue{1});
    require_ok(stored);
    // The requester stops waiting while the value moves (once the
    // aggregator begins to decode it, which takes 1.5 s): it asks how the
    // move ended, which waits for the move, and learns where the value is.
    // Before, it was at the aggregator unknown to the requester, whose
    // pointer named it at bob still.
    slow_decode_ms = 1500;
    const int decodes = slow_decodes;
    const auto cancelled =
        me.forward(stored.object, S, "secure_worker", 10s, 21, [&] { return slow_decodes > decodes; });
    CHECK(cancelled.status.error_code() == Code::CANCELLED);
    const auto ended = me.forwarded(21);
    slow_decode_ms = 0;
    require_ok(ended);
    CHECK(ended.object != 0);
    CHECK(secure.host.object_count() == 1);
    CHECK(Peer(secure, "me").list().object == 1);
    CHECK(me.list().object == 0);
    CHECK(me.forwarded(21).object == ended.object); // (asked again: the same)
    // A number is used once: asked for again, a move is refused.
    const auto next = me.store(SlowValue{2});
    require_ok(next);
    require_refused(me.forward(next.object, S, "secure_worker", 10s, 21), Code::PERMISSION_DENIED, bob, lines,
                    "a move numbered 21, a number that came before");
    // A number asked about before its request came settles as a move that
    // did not happen, and its request is refused if it comes after.
    const auto did_not_move = [&](std::uint64_t number, const std::string& why) {
        const auto answer = me.forwarded(number);
        require_ok(answer);
        CHECK(answer.object == 0);
        INFO("why: " << answer.bytes);
        CHECK(answer.bytes.find(why) != std::string::npos);
    };
    did_not_move(22, "the request for it did not arrive");
    require_refused(me.forward(next.object, S, "secure_worker", 10s, 22), Code::PERMISSION_DENIED, bob, lines,
                    "or was asked about");
    // A move refused: asked about, the refusal, and the value stays.
    require_refused(me.forward(next.object, S, "eve", 10s, 23), Code::PERMISSION_DENIED, bob, lines,
                    "trusted aggregators");
    did_not_move(23, "trusted aggregators");
    CHECK(me.list().object == 1);
    // Another peer's numbers are its own; number 0 is none; a party that
    // is not a requester hears nothing.
    const auto not_hers = Peer(bob, "alice", "").forwarded(21);
    require_ok(not_hers);
    CHECK(not_hers.object == 0);
    CHECK(me.forwarded(0).status.error_code() == Code::INVALID_ARGUMENT);
    auto only_me = network::data_owner("alice");
    only_me.requesters = {"me"};
    network::Party alice(only_me);
    std::size_t alice_lines = 0;
    require_refused(Peer(alice, "eve").forwarded(1), Code::PERMISSION_DENIED, alice, alice_lines,
                    "forwarded: not one of this party's requesters");
    // The legal twin: under a new number, it moves.
    require_ok(me.forward(next.object, S, "secure_worker", 10s, 24));
    CHECK(secure.host.object_count() == 2);

    // The model owner's transport numbers its moves and asks when no answer
    // came: a move that got none in time (bob takes 5 s to encode the
    // value, the transport waits 4 s) did not happen, as the error says,
    // and the pointer at bob is still good.
    auto impatient = network::quick();
    impatient.transfer_timeout = 4s;
    fedpp::Federation hook("me", network::transport("me", {{"bob", &bob}, {"secure_worker", &secure}}, impatient));
    fedpp::Worker<fedpp::DataOwner<"bob">> bob_worker(hook);
    fedpp::Worker<fedpp::TrustedAggregator<"secure_worker">> secure_worker(hook);
    auto sent = fedpp::send(SlowValue{5}, bob_worker);
    slow_encode_ms = 5000;
    CHECK_THROWS_WITH(sent.move(secure_worker),
                      Catch::Contains("the requester's deadline for the move passed before the value could leave") &&
                          Catch::Contains("the value did not move") && Catch::Contains("it is still at 'bob'"));
    slow_encode_ms = 0;
    REQUIRE(sent.valid());
    CHECK(secure.host.object_count() == 2);
    // The legal twin: in time, it moves.
    const auto moved = sent.move(secure_worker);
    CHECK(moved.valid());
    CHECK(secure.host.object_count() == 3);
}

TEST_CASE("hostile: an aggregator releases only aggregates of enough data owners", "[network][hostile]") {
    TwoContributions parties;
    network::Party& secure = parties.secure;
    const std::string& M = parties.M;
    Peer& me = parties.me;
    const auto bobs = parties.bobs;
    const auto alices = parties.alices;
    REQUIRE(bobs != 0);
    REQUIRE(alices != 0);
    std::size_t lines = 0;

    // A single contribution may not leave, be copied or move on.
    require_refused(me.fetch(bobs, M), Code::PERMISSION_DENIED, secure, lines, "reading a");
    require_refused(me.copy(bobs, M), Code::PERMISSION_DENIED, secure, lines, "contribution");
    require_refused(me.forward(bobs, M, "me"), Code::PERMISSION_DENIED, secure, lines, "releases only aggregates");
    // Nor pass through a computation that is not an aggregation.
    require_refused(me.execute(computation_name<scale, LinearModel>(), {{bobs, M}}), Code::PERMISSION_DENIED, secure,
                    lines, "only aggregations may");
    // An "aggregate" of one data owner, even when the caller asks for one,
    // or of one data owner twice.
    for (const auto& inputs : std::vector<std::vector<std::pair<ObjectId, std::string>>>{
             {{bobs, M}}, {{bobs, M}, {bobs, M}}}) {
        for (const std::uint64_t asked : {0, 1, 2}) {
            require_refused(me.execute(fedavg_name(), inputs, fedavg_arguments(asked)), Code::FAILED_PRECONDITION,
                            secure, lines, "data owner");
        }
    }
    // Two data owners, one with a zero weight.
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(0, {1.0, 0.0})),
                    Code::FAILED_PRECONDITION, secure, lines, "data owner");
    // A model of the model owner's own is no part of an aggregate.
    const auto own = me.store(a_model(3));
    require_ok(own);
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {own.object, M}}, fedavg_arguments(0)),
                    Code::PERMISSION_DENIED, secure, lines, "model 1 is not a data owner's contribution");

    // The legal twin: an aggregate of two data owners leaves.
    const auto aggregate = me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(2));
    require_ok(aggregate);
    require_ok(me.fetch(aggregate.object, type_of<fedpp::Aggregate<LinearModel>>()));
}

TEST_CASE("hostile: an aggregator checks an aggregation's own arguments, and a malformed one leaves it serving",
          "[network][hostile]") {
    TwoContributions parties;
    auto [secure, M, me, bobs, alices] = parties.at_aggregator();
    const std::size_t held = secure.host.object_count();
    std::size_t lines = secure.log.lines().size();
    // (Structured bindings through init-captures: clang 14 captures no binding itself.)
    const auto refused = [&host = secure.host, &owner = me, held](const Peer::Result& result) {
        INFO("status " << result.status.error_code() << ": " << result.status.error_message());
        CHECK_FALSE(result.status.ok());
        CHECK(host.object_count() == held); // no result stored, the inputs kept
        require_ok(owner.list());           // and the aggregator still answers
    };
    // One data owner's model given twice beside another's: two data owners,
    // but their median would be Bob's model. Refused, and logged.
    const std::string median = fedpp::detail::computation_of<
        fedpp::detail::AggregationComputation<LinearModel, fedpp::detail::CoordinateMedian>>().name;
    fedpp::Bytes no_arguments;
    fedpp::ByteWriter(no_arguments).write<std::uint64_t>(0);
    require_refused(me.execute(median, {{bobs, M}, {bobs, M}, {alices, M}}, no_arguments), Code::PERMISSION_DENIED,
                    secure, lines, "the same model is given twice");
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}, {bobs, M}}, fedavg_arguments(0)),
                    Code::PERMISSION_DENIED, secure, lines, "the same model is given twice");
    CHECK(secure.host.object_count() == held);
    // Fewer (or more) weights than models: none may be read past the end.
    refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(0, {1.0})));
    refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(0, {1.0, 1.0, 1.0})));
    refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(0, {1.0, -1.0})));
    // A trim fraction outside [0, 0.5): every value trimmed away, or an
    // index past the end.
    const std::string trimmed = fedpp::detail::computation_of<
        fedpp::detail::AggregationComputation<LinearModel, fedpp::detail::TrimmedMean>>().name;
    for (const double fraction : {4.0, 0.5, -1.0, std::numeric_limits<double>::quiet_NaN(),
                                  std::numeric_limits<double>::infinity()}) {
        fedpp::Bytes arguments;
        fedpp::ByteWriter out(arguments);
        out.write<std::uint64_t>(0);
        out.write(fraction);
        refused(me.execute(trimmed, {{bobs, M}, {alices, M}}, arguments));
    }
    // The legal twins: the trimmed mean and the median of the two leave.
    fedpp::Bytes arguments;
    fedpp::ByteWriter out(arguments);
    out.write<std::uint64_t>(0);
    out.write(0.0);
    const auto aggregate = me.execute(trimmed, {{bobs, M}, {alices, M}}, arguments);
    require_ok(aggregate);
    require_ok(me.fetch(aggregate.object, type_of<fedpp::Aggregate<LinearModel>>()));
    const auto middle = me.execute(median, {{parties.another("bob", 5), M}, {parties.another("alice", 6), M}},
                                   no_arguments); // (bob's and alice's first models went into the trimmed mean)
    require_ok(middle);
    // An aggregate sent to a made-up party goes nowhere, and leaves no trace
    // in the traffic account (which would otherwise grow with every name).
    const std::string made_up(1000, 'x');
    CHECK_FALSE(me.forward(middle.object, type_of<fedpp::Aggregate<LinearModel>>(), made_up).status.ok());
    for (const auto& line : secure.host.traffic().lines()) {
        CHECK(line.peer != made_up);
    }
    require_ok(me.fetch(middle.object, type_of<fedpp::Aggregate<LinearModel>>()));
}

TEST_CASE("hostile: one requester's concurrent requests on the same objects are carried out one at a time",
          "[network][hostile][threads]") {
    // Four threads of one requester merge two sums into each other, each
    // holding a data owner's update, and empty them, as fast as they can:
    // run at once on one object, these would race (and corrupted the
    // aggregator's heap). Under ThreadSanitizer any overlap is a report;
    // here, every request must succeed and the sums stay whole.
    using Sum = fedpp::WeightedSum<LinearModel>;
    TwoContributions parties;
    const std::string& M = parties.M;
    const std::string S = type_of<Sum>();
    Peer& me = parties.me;
    const auto first = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    const auto second = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    REQUIRE(first != 0);
    REQUIRE(second != 0);
    const std::string add = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<LinearModel>>().name;
    const std::string merge = fedpp::detail::computation_of<fedpp::detail::MergeComputation<LinearModel>>().name;
    fedpp::Bytes weight;
    fedpp::ByteWriter(weight).write(1.0);
    require_ok(me.execute(add, {{first, S}, {parties.bobs, M}}, weight));
    require_ok(me.execute(add, {{second, S}, {parties.alices, M}}, weight));
    std::atomic<int> failed{0};
    std::atomic<int> done{0};
    std::vector<std::unique_ptr<Peer>> peers; // made here: Catch2's checks are for this thread only
    for (int t = 0; t < 4; ++t) {
        peers.push_back(std::make_unique<Peer>(parties.secure, "me")); // the same requester (and session) as `me`
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            Peer& peer = *peers[static_cast<std::size_t>(t)];
            const auto a = t % 2 == 0 ? first : second;
            const auto b = t % 2 == 0 ? second : first;
            const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (std::chrono::steady_clock::now() < end) {
                for (const auto& result : {peer.execute(merge, {{a, S}, {b, S}}), peer.execute(merge, {{b, S}, {a, S}})}) {
                    (result.status.ok() ? done : failed)++;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    INFO(done << " requests done, " << failed << " failed");
    CHECK(failed == 0);
    CHECK(done > 0);
    // A sum merged into itself is refused (it would be emptied, or worse).
    CHECK_FALSE(me.execute(merge, {{first, S}, {first, S}}).status.ok());
    // The sums are whole: together they hold Bob's and Alice's updates, and
    // their average leaves.
    require_ok(me.execute(merge, {{first, S}, {second, S}}));
    const std::string average =
        fedpp::detail::computation_of<fedpp::detail::AverageOfComputation<LinearModel>>().name;
    fedpp::Bytes none;
    fedpp::ByteWriter(none).write<std::uint64_t>(0);
    const auto aggregate = me.execute(average, {{first, S}}, none);
    require_ok(aggregate);
    const auto released = fetch_aggregate(me, aggregate.object);
    CHECK(released.contributions() == 2);
}

TEST_CASE("hostile: one requester's slow request does not hold up another requester's, whatever their names",
          "[network][hostile][threads]") {
    // Requesters once shared 64 locks by their names' hash: a hostile one
    // could name a session to share another requester's lock, and hold up
    // that one's requests behind its own slow ones. Here its session is
    // named so (under that hash), and a copy of its takes five seconds (a
    // small copy takes far less, under sanitizers too).
    struct ResetSlowness {
        ~ResetSlowness() { slow_decode_ms = 0; } // (should a check fail midway: later tests are not slowed)
    } const reset_slowness;
    network::Party bob(network::data_owner("bob"));
    const auto stripe = [](const std::string& requester) { return std::hash<std::string_view>{}(requester) % 64; };
    std::string colliding;
    for (int k = 0; colliding.empty(); ++k) {
        if (const std::string session = "hostile" + std::to_string(k); stripe("me#" + session) == stripe("me#s1")) {
            colliding = session;
        }
    }
    Peer victim(bob, "me", "s1");
    Peer hostile(bob, "me", colliding);
    Peer hostile_again(bob, "me", colliding); // (the same requester, on a connection of its own)
    const std::string M = type_of<LinearModel>();
    const std::string S = type_of<SlowValue>();
    const auto mine = victim.store(a_model(3));
    const auto theirs = hostile.store(SlowValue{1});
    const auto their_model = hostile.store(a_model(4));
    require_ok(mine);
    require_ok(theirs);
    require_ok(their_model);
    // While `hostile` copies its slow value (for `ms`), `asker` copies
    // `object` (a `type`): whether that was done before the slow copy ended.
    const auto done_meanwhile = [&](Peer& asker, ObjectId object, const std::string& type, int ms) {
        slow_decode_ms = ms;
        const int decodes = slow_decodes;
        const int ended = slow_decodes_ended;
        std::optional<Peer::Result> slow;
        std::thread holder([&] { slow = hostile.copy(theirs.object, S); });
        const bool started = reaches(slow_decodes, decodes + 1); // (its copy is being made: its turn is held)
        const auto quick = asker.copy(object, type);
        const bool meanwhile = slow_decodes_ended == ended;
        holder.join();
        slow_decode_ms = 0;
        CHECK(started);
        require_ok(quick);
        REQUIRE(slow);
        require_ok(*slow);
        return meanwhile;
    };
    CHECK(done_meanwhile(victim, mine.object, M, 5000));
    // The legal twin: the same requester's requests still wait for each other.
    CHECK_FALSE(done_meanwhile(hostile_again, their_model.object, M, 1000));
}

TEST_CASE("hostile: an aggregator that requires DP releases only DP aggregates, with its own clip norm and "
          "noise floor",
          "[network][hostile]") {
    // Otherwise the clip norm and the noise are the model owner's choice: a
    // model owner that asks for no noise gets none.
    auto policy = network::aggregator("secure_worker");
    policy.dp_max_clip_norm = 1.0;
    policy.dp_min_noise_multiplier = 0.5;
    network::Party secure(policy);
    Peer me(secure, "me");
    const std::string M = type_of<LinearModel>();
    using Sum = fedpp::WeightedSum<LinearModel>;
    const std::string S = type_of<Sum>();
    const auto small = [](double x) { return LinearModel(fedpp::Matrix<double>{{x, x}}, fedpp::Matrix<double>{{x}}); };
    const auto given = [&](const std::string& owner, double x) {
        const auto stored = Peer(secure, owner, "").store(M, fedpp::to_bytes(small(x)), "me#s1");
        require_ok(stored);
        return stored.object;
    };
    const auto bytes_of = [](double a, double b) {
        fedpp::Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write(a);
        out.write(b);
        return bytes;
    };
    const auto release_arguments = [](double stddev) {
        fedpp::Bytes bytes;
        fedpp::ByteWriter out(bytes);
        out.write<std::uint64_t>(0);
        out.write(stddev);
        out.write(2.0); // the denominator
        out.write<std::uint64_t>(7);
        return bytes;
    };
    const std::string dp_add =
        fedpp::detail::computation_of<fedpp::detail::DpAccumulateComputation<LinearModel>>().name;
    const std::string dp_release =
        fedpp::detail::computation_of<fedpp::detail::DpReleaseComputation<LinearModel>>().name;
    const std::string add = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<LinearModel>>().name;
    const std::string average =
        fedpp::detail::computation_of<fedpp::detail::AverageOfComputation<LinearModel>>().name;
    std::size_t lines = 0;
    const ObjectId bobs = given("bob", 0.1);
    const ObjectId alices = given("alice", 0.2);
    const auto sum = me.store(S, fedpp::to_bytes(Sum(small(0)))).object;
    const auto global = me.store(small(0)).object;
    const std::string only_dp = "releases only differentially private aggregates";
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(2)), Code::PERMISSION_DENIED,
                    secure, lines, only_dp);
    fedpp::Bytes weight;
    fedpp::ByteWriter(weight).write(1.0);
    require_refused(me.execute(add, {{sum, S}, {bobs, M}}, weight), Code::PERMISSION_DENIED, secure, lines, only_dp);
    require_refused(me.execute(dp_add, {{sum, S}, {bobs, M}}, bytes_of(1.0, 2.0)), Code::PERMISSION_DENIED, secure,
                    lines, "above this aggregator's dp_max_clip_norm");
    require_ok(me.execute(dp_add, {{sum, S}, {bobs, M}}, bytes_of(1.0, 1.0)));
    require_ok(me.execute(dp_add, {{sum, S}, {alices, M}}, bytes_of(1.0, 1.0)));
    // One update per data owner in a sum, as the noise is calibrated to one:
    // not added, nor merged in from another sum.
    const std::string merge = fedpp::detail::computation_of<fedpp::detail::MergeComputation<LinearModel>>().name;
    require_refused(me.execute(dp_add, {{sum, S}, {given("bob", 0.3), M}}, bytes_of(1.0, 1.0)),
                    Code::PERMISSION_DENIED, secure, lines, "holds an update of this data owner already");
    const auto part = me.store(S, fedpp::to_bytes(Sum(small(0)))).object;
    require_ok(me.execute(dp_add, {{part, S}, {given("bob", 0.3), M}}, bytes_of(1.0, 1.0)));
    require_refused(me.execute(merge, {{sum, S}, {part, S}}, {}), Code::PERMISSION_DENIED, secure, lines,
                    "has updates in both sums");
    // The twin: sums of different data owners merge.
    const auto one = me.store(S, fedpp::to_bytes(Sum(small(0)))).object;
    const auto another = me.store(S, fedpp::to_bytes(Sum(small(0)))).object;
    require_ok(me.execute(dp_add, {{one, S}, {given("client-3", 0.1), M}}, bytes_of(1.0, 1.0)));
    require_ok(me.execute(dp_add, {{another, S}, {given("client-4", 0.1), M}}, bytes_of(1.0, 1.0)));
    require_ok(me.execute(merge, {{one, S}, {another, S}}, {}));
    fedpp::Bytes none;
    fedpp::ByteWriter(none).write<std::uint64_t>(0);
    require_refused(me.execute(average, {{sum, S}}, none), Code::PERMISSION_DENIED, secure, lines, only_dp);
    for (const double stddev : {0.0, 0.1, 0.49}) {
        require_refused(me.execute(dp_release, {{sum, S}, {global, M}}, release_arguments(stddev)),
                        Code::PERMISSION_DENIED, secure, lines, "below this aggregator's floor");
    }
    // The legal twin: noise at the floor (0.5 * 1.0).
    const auto released = me.execute(dp_release, {{sum, S}, {global, M}}, release_arguments(0.5));
    require_ok(released);
    const auto first = fetch_aggregate(me, released.object);
    CHECK(first.contributions() == 2);
    // Another sum released with the same seed has noise of its own: a sum
    // of nearly nothing released so would otherwise give the noise away,
    // and with it the first sum. Here 0.1 + 0.5 * 0.2 = 0.2 against 0.3.
    const auto release_of = [&](const std::string& owner_a, const std::string& owner_b, double weight_b) {
        const auto sum_of_two = me.store(S, fedpp::to_bytes(Sum(small(0)))).object;
        require_ok(me.execute(dp_add, {{sum_of_two, S}, {given(owner_a, 0.1), M}}, bytes_of(1.0, 1.0)));
        require_ok(me.execute(dp_add, {{sum_of_two, S}, {given(owner_b, 0.2), M}}, bytes_of(weight_b, 1.0)));
        const auto release = me.execute(dp_release, {{sum_of_two, S}, {global, M}}, release_arguments(0.5));
        require_ok(release);
        return fetch_aggregate(me, release.object);
    };
    const auto other_release = release_of("eve", "client-0", 0.5);
    const LinearModel& other = other_release.model();
    bool independent = false; // (first - other) * 2 would be 0.3 - 0.2 exactly with the same noise
    for (const auto& [a, b] : {std::pair{first.model().weight().value()(0, 0), other.weight().value()(0, 0)},
                               std::pair{first.model().bias().value()(0, 0), other.bias().value()(0, 0)}}) {
        independent = independent || std::abs((a - b) * 2.0 - 0.1) > 1e-6;
    }
    CHECK(independent);
    // The twin: the same sum (of other data owners' equal models) released
    // again draws the same noise, so a release asked twice (a round run
    // again after a restart) tells nothing new.
    CHECK(fedpp::to_bytes(release_of("client-1", "client-2", 1.0).model()) == fedpp::to_bytes(first.model()));
    // A floor without a clip norm, a clip norm without a floor (it would
    // bind nothing), or a negative one, is no policy.
    for (const auto& [clip, multiplier] :
         std::vector<std::pair<double, double>>{{0.0, 1.0}, {1.0, 0.0}, {-1.0, 0.0}}) {
        auto bad = network::aggregator("secure_worker");
        bad.dp_max_clip_norm = clip;
        bad.dp_min_noise_multiplier = multiplier;
        CHECK_THROWS_AS(fedpp::party::Host(bad), fedpp::ArgumentError);
    }
    // Nor are the bounds set where they would be ignored: a sum-only
    // aggregator cannot check masked updates' clipping and noise, and a data
    // owner does not check its own training's.
    // Nor with the requester's seed alone, which would let it recompute the noise.
    auto seeded = network::aggregator("secure_worker");
    seeded.dp_max_clip_norm = 1.0;
    seeded.dp_min_noise_multiplier = 0.5;
    seeded.private_noise = false;
    CHECK_THROWS_WITH(fedpp::party::Host(seeded), Catch::Contains("needs private_noise"));
    for (auto role : {network::sum_only_aggregator("aggregator"), network::data_owner("bob")}) {
        role.dp_max_clip_norm = 1.0;
        role.dp_min_noise_multiplier = 0.5;
        CHECK_THROWS_WITH(fedpp::party::Host(role), Catch::Contains("bind only an aggregator"));
        role.dp_min_noise_multiplier = 0; // a clip norm alone would be ignored too
        CHECK_THROWS_WITH(fedpp::party::Host(role), Catch::Contains("bind only an aggregator"));
        role.dp_max_clip_norm = 0; // the twin: no bounds
        CHECK_NOTHROW(fedpp::party::Host(role));
    }
}

TEST_CASE("hostile: a model moved twice at once moves once, and one that cannot arrive stays",
          "[network][hostile][threads]") {
    // Two forwards of one model at once were both encoded before either had
    // deleted it, and both arrived: two contributions of one training. The
    // first now takes the model out of the requester's hands while it moves.
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    const std::string M = type_of<LinearModel>();
    Peer me(bob, "me");
    Peer again(bob, "me"); // the same requester, on a connection of its own
    for (int round = 0; round < 10; ++round) {
        const auto model = me.store(a_model()).object;
        std::atomic<int> moved{0};
        std::thread other([&] { moved += again.forward(model, M, "secure_worker").status.ok() ? 1 : 0; });
        moved += me.forward(model, M, "secure_worker").status.ok() ? 1 : 0;
        other.join();
        CHECK(moved == 1);
    }
    CHECK(secure.host.object_count() == 10);
    CHECK(bob.host.object_count() == 0);
    // The legal twin of the other side: a model whose move fails (its
    // aggregator is not there) stays the requester's, to move or erase.
    network::Party alone(network::data_owner("bob"), {{"secure_worker", "127.0.0.1:1"}});
    Peer me_alone(alone, "me");
    const auto model = me_alone.store(a_model()).object;
    CHECK_FALSE(me_alone.forward(model, M, "secure_worker").status.ok());
    require_ok(me_alone.erase(model));
    CHECK(alone.host.object_count() == 0);
}

TEST_CASE("hostile: a data owner's model goes into one aggregate, and a sum is released once",
          "[network][hostile]") {
    // Differencing: fedavg(bob, alice) and fedavg(alice, eve) and
    // fedavg(bob, eve) together tell each model; so does a sum released,
    // then added to and released again. The aggregator lets a contribution
    // into one aggregate, and a released sum only be reset or erased.
    TwoContributions parties;
    auto [secure, M, me, bobs, alices] = parties.at_aggregator();
    std::size_t lines = secure.log.lines().size();
    const ObjectId eves = parties.another("eve", 3);
    require_ok(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(2)));
    for (const auto& inputs : std::vector<std::vector<std::pair<ObjectId, std::string>>>{
             {{alices, M}, {eves, M}}, {{bobs, M}, {eves, M}}}) {
        require_refused(me.execute(fedavg_name(), inputs, fedavg_arguments(2)), Code::PERMISSION_DENIED, secure,
                        lines, "went into an aggregate already");
    }
    using Sum = fedpp::WeightedSum<LinearModel>;
    const std::string S = type_of<Sum>();
    const std::string add = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<LinearModel>>().name;
    const std::string merge = fedpp::detail::computation_of<fedpp::detail::MergeComputation<LinearModel>>().name;
    const std::string reset = fedpp::detail::computation_of<fedpp::detail::ResetComputation<LinearModel>>().name;
    const std::string average =
        fedpp::detail::computation_of<fedpp::detail::AverageOfComputation<LinearModel>>().name;
    fedpp::Bytes weight;
    fedpp::ByteWriter(weight).write(1.0);
    fedpp::Bytes none;
    fedpp::ByteWriter(none).write<std::uint64_t>(0);
    // Nor into a streaming sum once spent; the legal twin: eve's, unspent.
    const auto sum = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    require_refused(me.execute(add, {{sum, S}, {bobs, M}}, weight), Code::PERMISSION_DENIED, secure, lines,
                    "went into an aggregate already");
    require_ok(me.execute(add, {{sum, S}, {eves, M}}, weight));
    require_ok(me.execute(add, {{sum, S}, {parties.another("client-0", 4), M}}, weight));
    require_ok(me.execute(average, {{sum, S}}, none));
    // Released: nothing more goes in or out until it is reset.
    const auto other = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    require_ok(me.execute(add, {{other, S}, {parties.another("client-1", 5), M}}, weight));
    require_refused(me.execute(add, {{sum, S}, {parties.another("client-2", 6), M}}, weight), Code::PERMISSION_DENIED,
                    secure, lines, "this sum's average was released");
    require_refused(me.execute(merge, {{sum, S}, {other, S}}), Code::PERMISSION_DENIED, secure, lines,
                    "this sum's average was released");
    require_refused(me.execute(merge, {{other, S}, {sum, S}}), Code::PERMISSION_DENIED, secure, lines,
                    "this sum's average was released");
    require_refused(me.execute(average, {{sum, S}}, none), Code::PERMISSION_DENIED, secure, lines,
                    "this sum's average was released");
    // The legal twin: reset, it takes new contributions and is released again.
    require_ok(me.execute(reset, {{sum, S}}));
    require_ok(me.execute(add, {{sum, S}, {parties.another("client-2", 6), M}}, weight));
    require_ok(me.execute(merge, {{sum, S}, {other, S}}));
    require_ok(me.execute(average, {{sum, S}}, none));
    // A sum holding bob's model, copied or taken apart by a computation that
    // is not an aggregation, would give bob's model uncounted (then beside
    // two tiny weights, an "aggregate of two" that is bob's): refused.
    const auto bobs_sum = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    require_ok(me.execute(add, {{bobs_sum, S}, {parties.another("bob", 9), M}}, weight));
    require_refused(me.copy(bobs_sum, S), Code::PERMISSION_DENIED, secure, lines, "a sum of them");
    require_refused(me.execute(computation_name<unsum, fedpp::WeightedSum<LinearModel>>(), {{bobs_sum, S}}),
                    Code::PERMISSION_DENIED, secure, lines, "a sum of data owners' contributions");
    // The legal twin: the model owner copies a model of its own.
    require_ok(me.copy(me.store(a_model(3)).object, M));
    // A contribution that only went through a check (validate) is not spent.
    const ObjectId client3s = parties.another("client-3", 7);
    const std::string validate = fedpp::detail::computation_of<fedpp::detail::ValidateComputation<LinearModel>>().name;
    fedpp::Bytes shapes;
    fedpp::ByteWriter shapes_out(shapes);
    fedpp::Codec<std::vector<std::int64_t>>::encode({1, 2, 1, 1}, shapes_out);
    require_ok(me.execute(validate, {{client3s, M}}, shapes));
    require_ok(me.execute(fedavg_name(), {{client3s, M}, {parties.another("client-4", 8), M}}, fedavg_arguments(2)));
}

TEST_CASE("hostile: a requester's strings cannot forge or flood a line of a party's log", "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    Peer me(bob, "me");
    std::size_t lines = 0;
    const auto model = me.store(a_model()).object;
    const std::string forged = "eve\nfedpp party 'bob': refused nothing, asked by 'alice'\r\x1b[2K";
    const std::string flood(100'000, 'x');
    for (const std::string& destination : {forged, flood}) {
        require_refused(me.forward(model, type_of<LinearModel>(), destination), Code::PERMISSION_DENIED, bob, lines,
                        "not one of this party's trusted aggregators");
    }
    for (const std::string& computation : {forged, flood}) {
        require_refused(me.execute(computation, {{model, type_of<LinearModel>()}}), Code::PERMISSION_DENIED, bob,
                        lines, "a computation this party's program does not have");
    }
    const auto logged = bob.log.lines();
    REQUIRE(logged.size() == 4);
    for (const std::string& line : logged) {
        INFO(line.substr(0, 300));
        CHECK(line.size() < 1'500);
        CHECK(std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }));
        CHECK(line.find("asked by 'me#s1'") != std::string::npos); // the real requester, always shown
    }
    CHECK(logged[0].find("eve\\x0afedpp party 'bob': refused nothing, asked by 'alice'\\x0d\\x1b[2K") !=
          std::string::npos);
    CHECK(logged[1].find("xxx...' (") != std::string::npos); // cut, and the reason kept
    // A requester's backslash is shown escaped too: its text cannot pass for
    // an escaped byte.
    require_refused(me.forward(model, type_of<LinearModel>(), "eve\\x0a"), Code::PERMISSION_DENIED, bob, lines,
                    "not one of this party's trusted aggregators");
    CHECK(bob.log.lines().back().find("'eve\\x5cx0a'") != std::string::npos);
}

TEST_CASE("hostile: a data owner's gifts to a requester renew no one's lease", "[network][hostile]") {
    // Every store renews its requester's lease; a value a data owner moves to
    // an aggregator is the model owner's there, and must not renew the model
    // owner's lease: else any data owner could keep every object of a silent
    // (or vanished) requester alive for ever.
    auto policy = network::aggregator("secure_worker");
    policy.lease = std::chrono::milliseconds(1500);
    network::Party secure(policy);
    Peer me(secure, "me");
    Peer bob(secure, "bob", "");
    const std::string M = type_of<LinearModel>();
    const auto mine = me.store(a_model(1));
    require_ok(mine);
    ObjectId gift = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
    while (std::chrono::steady_clock::now() < end) { // bob gives me#s1 a model every 100 ms, for over two leases
        const auto given = bob.store(M, fedpp::to_bytes(a_model(2)), "me#s1");
        require_ok(given);
        gift = given.object;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // me#s1 was silent for longer than its lease: its own model is gone; the
    // latest gift lives one lease from its arrival.
    std::size_t lines = secure.log.lines().size();
    require_refused(me.erase(mine.object), Code::PERMISSION_DENIED, secure, lines, "which is not the requester's");
    require_ok(me.erase(gift));
}

/// This process's thread count (0 where /proc does not tell).
std::size_t thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0) {
            return std::stoul(line.substr(8));
        }
    }
    return 0;
}

TEST_CASE("hostile: stalled value streams hold a bounded number of a party's threads, each for a bounded time",
          "[network][hostile]") {
    // Without a thread quota, each stalled stream held a server thread of its
    // own (300 streams: 300 threads more), and without an idle timeout it
    // held it until the caller's deadline, if it had one.
    constexpr int max_threads = 12;
    network::Party secure(network::aggregator("secure_worker"), {}, "127.0.0.1:0", [](auto& options) {
        options.max_threads = max_threads;
        options.stream_idle_timeout = std::chrono::milliseconds(1000);
    });
    Peer me(secure, "me");
    require_ok(me.list()); // the connection and its threads, before counting
    const std::size_t before = thread_count();
    if (before == 0) {
        FEDPP_SKIP("/proc/self/status gives no thread count here");
    }
    std::vector<std::unique_ptr<Peer::Stalled>> stalled;
    for (int i = 0; i < 60; ++i) {
        stalled.push_back(me.stalled_store(type_of<LinearModel>(), 1 << 20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::size_t during = thread_count();
    INFO(before << " threads before the stalled streams, " << during << " with them");
    CHECK(during <= before + max_threads + 4); // (gRPC's own threads of the client side may come and go)
    // Those beyond the quota are refused at once; each of the others is
    // cancelled by the party once idle for a second, long before the
    // caller's deadline (20 s). None is stored.
    int cancelled = 0;
    for (auto& stream : stalled) {
        const ::grpc::Status status = stream->writer->Finish();
        INFO("status " << status.error_code() << ": " << status.error_message());
        CHECK((status.error_code() == Code::RESOURCE_EXHAUSTED || status.error_code() == Code::CANCELLED));
        cancelled += status.error_code() == Code::CANCELLED ? 1 : 0;
    }
    CHECK(cancelled > 0);
    CHECK(secure.host.object_count() == 0);
    // The legal twin: the party serves again, a value streamed without
    // stalls included, once the cancelled streams' threads are back in the
    // quota (they return a little after their callers saw the streams end:
    // up to 20 s on a loaded machine).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Peer::Result stored = me.store(a_model());
    while (stored.status.error_code() == Code::RESOURCE_EXHAUSTED && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stored = me.store(a_model());
    }
    require_ok(stored);
    require_ok(me.list());
}

TEST_CASE("hostile: secure aggregation's values come to a data owner only from its sum-only aggregators, and to "
          "a sum-only aggregator only from data owners, which takes nothing else from them",
          "[network][hostile][secure]") {
    network::Party summer(network::sum_only_aggregator("secure_worker"));
    network::Party bob(network::secure_data_owner("bob", {"secure_worker"}), {{"secure_worker", summer.address()}});
    auto naive = network::data_owner("alice", {"secure_worker"}); // trusts it as if it aggregated models
    network::Party alice(naive, {{"secure_worker", summer.address()}});
    Peer me(bob, "me");
    Peer me_there(summer, "me");
    std::size_t bob_lines = 0;
    std::size_t summer_lines = 0;
    const auto masked = fedpp::detail::SecureAggregationAccess::masked<LinearModel>({1, 2, 3, 4}, {}, 0);
    const auto message = fedpp::detail::SecureAggregationAccess::message({7, 7, 7});

    // bob's model goes to no one: he trusts no aggregator with models.
    const auto model = me.store(a_model()).object;
    require_refused(me.forward(model, type_of<LinearModel>(), "secure_worker"), Code::PERMISSION_DENIED, bob,
                    bob_lines, "not one of this party's trusted aggregators");
    // The model owner cannot make a masked update or a message for bob to
    // pass on as his (a client of its own making, relayed), nor hand one to
    // the server as the server's or a data owner's.
    require_refused(me.store(masked), Code::PERMISSION_DENIED, bob, bob_lines, "only from its sum-only aggregators");
    require_refused(me.store(message), Code::PERMISSION_DENIED, bob, bob_lines, "only from its sum-only aggregators");
    require_refused(me_there.store(masked), Code::PERMISSION_DENIED, summer, summer_lines, "only from data owners");
    require_refused(me_there.store(message), Code::PERMISSION_DENIED, summer, summer_lines, "only from data owners");
    CHECK(bob.host.object_count() == 1);
    CHECK(summer.host.object_count() == 0);
    // alice, misconfigured, sends her model: secure_worker refuses it.
    Peer me_at_alice(alice, "me");
    const auto hers = me_at_alice.store(a_model(5)).object;
    CHECK_FALSE(me_at_alice.forward(hers, type_of<LinearModel>(), "secure_worker").status.ok());
    REQUIRE(summer.log.lines().size() == summer_lines + 1);
    CHECK_THAT(summer.log.lines().back(), Catch::Contains("takes from data owners only masked updates"));
    CHECK(summer.host.object_count() == 0);
    // The legal twin: the model owner's own model (a layout) may go there.
    require_ok(me_there.store(a_model()));
}

#ifdef FEDPP_TEST_SECURE_AGGREGATION
/// The arguments of a secure session's first step among 100 clients
/// (ClientJoin: then the client's id; ServerCreate: then their names).
fedpp::Bytes session_arguments(std::uint32_t degree, std::uint32_t threshold, std::uint32_t min_clients,
                               std::optional<std::uint64_t> seed, std::size_t words) {
    fedpp::detail::secagg::Settings settings;
    settings.config.clients = 100;
    settings.config.degree = degree;
    settings.config.threshold = threshold;
    settings.config.min_clients = min_clients;
    settings.config.vector_length = words;
    settings.seed = seed;
    fedpp::Bytes arguments;
    fedpp::ByteWriter out(arguments);
    settings.write(out);
    return arguments;
}

TEST_CASE("hostile: a data owner joins no secure session with secrets from the caller's seed, a graph sparser than "
          "the floor, a sum released with fewer than a majority, or vectors larger than it takes, and sends what "
          "its protocol steps make only to its sum-only aggregators",
          "[network][hostile][secure]") {
    network::Party summer(network::sum_only_aggregator("secure_worker"));
    auto bobs_policy = network::secure_data_owner("bob", {"secure_worker"});
    bobs_policy.max_value_bytes = 4000;
    network::Party bob(bobs_policy, {{"secure_worker", summer.address()}});
    Peer me(bob, "me");
    std::size_t lines = 0;
    const auto join = [&](std::uint32_t degree, std::uint32_t threshold, std::uint32_t min_clients,
                          std::optional<std::uint64_t> seed, std::size_t words = 10) {
        fedpp::Bytes arguments = session_arguments(degree, threshold, min_clients, seed, words);
        fedpp::ByteWriter(arguments).write<std::uint32_t>(0);
        return me.execute(fedpp::detail::computation_of<fedpp::detail::secagg::ClientJoin>().name, {}, arguments);
    };
    require_refused(join(99, 51, 0, 7), Code::PERMISSION_DENIED, bob, lines, "the caller's seed");
    require_refused(join(2, 2, 51, std::nullopt), Code::PERMISSION_DENIED, bob, lines, "sparse graph");
    require_refused(join(28, 15, 0, std::nullopt), Code::PERMISSION_DENIED, bob, lines, "fewer than a majority");
    require_refused(join(99, 51, 0, std::nullopt, 1001), Code::PERMISSION_DENIED, bob, lines,
                    "1001 words a vector, more than its largest value");
    // The legal twins: the complete graph, the floor's degree released with a majority, the largest vector.
    const auto joined = join(99, 51, 0, std::nullopt);
    require_ok(joined);
    require_ok(join(28, 15, 51, std::nullopt));
    require_ok(join(99, 51, 0, std::nullopt, 1000));
    // The sum-only aggregator checks the vectors' size as well, before it makes the one it sums into.
    auto summers_policy = network::sum_only_aggregator("other_aggregator");
    summers_policy.max_value_bytes = 4000;
    network::Party small_summer(summers_policy);
    Peer me_at_summer(small_summer, "me");
    std::size_t summer_lines = 0;
    const auto create = [&](std::size_t words) {
        fedpp::Bytes arguments = session_arguments(99, 51, 0, std::nullopt, words);
        fedpp::ByteWriter out(arguments);
        for (int k = 0; k < 100; ++k) {
            out.write_string("client-" + std::to_string(k));
        }
        return me_at_summer.execute(fedpp::detail::computation_of<fedpp::detail::secagg::ServerCreate>().name, {},
                                    arguments);
    };
    require_refused(create(1001), Code::PERMISSION_DENIED, small_summer, summer_lines,
                    "1001 words a vector, more than its largest value");
    require_ok(create(1000));

    // bob's keys, made by his protocol step: they leave only for his sum-only aggregator.
    const auto keys = me.execute(fedpp::detail::computation_of<fedpp::detail::secagg::ClientStart>().name,
                                 {{joined.object, type_of<fedpp::detail::secagg::ClientParty>()}});
    require_ok(keys);
    const std::string message = type_of<fedpp::ProtocolMessage>();
    for (const std::string destination : {"other_aggregator", "me", "eve"}) {
        require_refused(me.forward(keys.object, message, destination), Code::PERMISSION_DENIED, bob, lines,
                        "sum-only aggregators");
    }
    require_refused(me.fetch(keys.object, message), Code::PERMISSION_DENIED, bob, lines, "reading a");
    require_ok(me.forward(keys.object, message, "secure_worker"));
    CHECK(summer.host.object_count() == 1);
}
#endif

TEST_CASE("hostile: an aggregator that names its contributors counts no one else", "[network][hostile]") {
    // Without a contributors list, a value any party of the federation moves
    // to the aggregator on the model owner's behalf counts as a data owner's
    // (see the policy): eve, colluding with the model owner, would make
    // bob's model plus a model of theirs "an aggregate of two".
    auto policy = network::aggregator("secure_worker");
    policy.contributors = {"bob", "alice"};
    network::Party secure(policy);
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    const std::string M = type_of<LinearModel>();
    Peer me_at_bob(bob, "me");
    Peer me(secure, "me");
    const auto bobs = me_at_bob.forward(me_at_bob.store(a_model(1)).object, M, "secure_worker").object;
    // eve gives the model owner (me#s1) a model of its own, as bob's server would.
    const auto eves = Peer(secure, "eve", "").store(M, fedpp::to_bytes(a_model(4)), "me#s1");
    require_ok(eves);
    std::size_t lines = 0;
    require_refused(me.execute(fedavg_name(), {{bobs, M}, {eves.object, M}}, fedavg_arguments(2)),
                    Code::PERMISSION_DENIED, secure, lines, "model 1 is not a data owner's contribution");
    // The twin: alice, on the list, counts.
    const auto alices = Peer(secure, "alice", "").store(M, fedpp::to_bytes(a_model(5)), "me#s1");
    require_ok(alices);
    require_ok(me.execute(fedavg_name(), {{bobs, M}, {alices.object, M}}, fedavg_arguments(2)));
}

TEST_CASE("hostile: the messages of a data owner's failing computations are withheld", "[network][hostile]") {
    auto revealing = network::data_owner("alice");
    revealing.reveal_errors = true;
    network::Party bob(network::data_owner("bob"));
    network::Party alice(revealing);
    bob.host.publish("secret", Data{{42.5}});
    alice.host.publish("secret", Data{{42.5}});
    for (const std::string& name : {computation_name<fail_typed, Data>(), computation_name<fail_std, Data>()}) {
        INFO(name);
        Peer me(bob, "me");
        const auto withheld = me.execute(name, {{me.find("secret", type_of<Data>()).object, type_of<Data>()}});
        CHECK_FALSE(withheld.status.ok());
        CHECK(withheld.status.error_message().find("42") == std::string::npos);
        CHECK(withheld.status.error_message().find("withheld") != std::string::npos);
        // The legal twin: a data owner whose policy reveals them.
        Peer me_at_alice(alice, "me");
        const auto revealed = me_at_alice.execute(
            name, {{me_at_alice.find("secret", type_of<Data>()).object, type_of<Data>()}});
        CHECK_FALSE(revealed.status.ok());
        CHECK(revealed.status.error_message().find("secret 42.5") != std::string::npos);
    }
}

TEST_CASE("hostile: published data is used in computations, never fetched, erased or moved", "[network][hostile]") {
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    publish_toy_data(bob);
    const std::string D = type_of<Data>();
    std::size_t lines = 0;
    for (const auto& [who, session] : {std::pair<std::string, std::string>{"me", "s1"}, {"eve", "s1"}}) {
        INFO(who);
        Peer peer(bob, who, session);
        const auto data = peer.find("toy.data", D);
        require_ok(data);
        require_refused(peer.fetch(data.object, D), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(peer.copy(data.object, D), Code::PERMISSION_DENIED, bob, lines, "not the requester's");
        require_refused(peer.forward(data.object, D, "secure_worker"), Code::PERMISSION_DENIED, bob, lines,
                        "not the requester's");
        // An erase is a no-op: a Pointer from find() erases when it goes.
        require_ok(peer.erase(data.object));
        CHECK(bob.host.object_count() == 2);
        // The legal twin: used in a computation.
        const auto copied = peer.execute(computation_name<copy_of, Data>(), {{data.object, D}});
        require_ok(copied);
        require_ok(peer.erase(copied.object));
        // A type it is not published as, a tag it is not published under.
        CHECK(peer.find("toy.data", type_of<LinearModel>()).status.error_code() == Code::NOT_FOUND);
        CHECK(peer.find("toy.nothing", D).status.error_code() == Code::NOT_FOUND);
    }
    CHECK(secure.host.object_count() == 0);
    CHECK(bob.host.object_count() == 2);
}

TEST_CASE("hostile: no value of the model owner's own goes into an aggregate, and a sum arrives only empty",
          "[network][hostile]") {
    // (a + V) rounds to V, and V - V = 0: fedavg(alice, +V, -V, bob) was an
    // "aggregate of two" that was exactly bob's model / 4, and +V and -V
    // added to a streaming sum (or sent in with it) did the same there.
    TwoContributions parties;
    auto [secure, M, me, bobs, alices] = parties.at_aggregator();
    std::size_t lines = secure.log.lines().size();
    const auto filled = [](double v) { return LinearModel(fedpp::Matrix<double>{{v, v}}, fedpp::Matrix<double>{{v}}); };
    const auto plus = me.store(filled(0x1p100)).object;
    const auto minus = me.store(filled(-0x1p100)).object;
    require_refused(me.execute(fedavg_name(), {{alices, M}, {plus, M}, {minus, M}, {bobs, M}}, fedavg_arguments(2)),
                    Code::PERMISSION_DENIED, secure, lines, "model 1 is not a data owner's contribution");
    using Sum = fedpp::WeightedSum<LinearModel>;
    const std::string S = type_of<Sum>();
    const std::string add = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<LinearModel>>().name;
    fedpp::Bytes weight;
    fedpp::ByteWriter(weight).write(1.0);
    const auto sum = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object; // empty: taken
    require_ok(me.execute(add, {{sum, S}, {alices, M}}, weight));
    require_refused(me.execute(add, {{sum, S}, {plus, M}}, weight), Code::PERMISSION_DENIED, secure, lines,
                    "the update is not a data owner's contribution");
    // Nor into a DP sum, whose clip norm (here 1e40) the model owner names.
    const std::string dp_add =
        fedpp::detail::computation_of<fedpp::detail::DpAccumulateComputation<LinearModel>>().name;
    fedpp::Bytes weight_and_bound;
    fedpp::ByteWriter dp_arguments(weight_and_bound);
    dp_arguments.write(1.0);
    dp_arguments.write(1e40);
    const auto dp_sum = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    require_refused(me.execute(dp_add, {{dp_sum, S}, {plus, M}}, weight_and_bound), Code::PERMISSION_DENIED, secure,
                    lines, "the update is not a data owner's contribution");
    require_ok(me.execute(dp_add, {{dp_sum, S}, {parties.another("bob", 4), M}}, weight_and_bound)); // the twin
    Sum loaded(a_model(9));
    loaded.add(filled(0x1p100), 1.0);
    require_refused(me.store(S, fedpp::to_bytes(loaded)), Code::PERMISSION_DENIED, secure, lines,
                    "arrives at a worker only empty");
    // The legal twin: the two data owners' models alone.
    const auto aggregate = me.execute(fedavg_name(), {{parties.another("alice", 5), M}, {bobs, M}}, fedavg_arguments(2));
    require_ok(aggregate);
    CHECK(fetch_aggregate(me, aggregate.object).contributions() == 2);
}

TEST_CASE("hostile: a vanishing weight makes no aggregate of two data owners", "[network][hostile]") {
    // Weights {1, 1e-300} made an "aggregate of two" that was exactly bob's
    // model. A data owner now counts only with a weight of at least the
    // aggregator's min_weight_ratio (0.01) of the largest: in fedavg, and in
    // a streaming sum, where a data owner's updates' weights add up.
    TwoContributions parties;
    auto [secure, M, me, bobs, alices] = parties.at_aggregator();
    std::size_t lines = secure.log.lines().size();
    for (const double vanishing : {1e-300, 1e-3, 0.0099}) {
        INFO("weights 1 and " << vanishing);
        require_refused(me.execute(fedavg_name(), {{bobs, M}, {alices, M}}, fedavg_arguments(2, {1.0, vanishing})),
                        Code::FAILED_PRECONDITION, secure, lines, "1 data owner");
    }
    using Sum = fedpp::WeightedSum<LinearModel>;
    const std::string S = type_of<Sum>();
    const std::string add = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<LinearModel>>().name;
    const std::string average =
        fedpp::detail::computation_of<fedpp::detail::AverageOfComputation<LinearModel>>().name;
    const auto weight = [](double w) {
        fedpp::Bytes bytes;
        fedpp::ByteWriter(bytes).write(w);
        return bytes;
    };
    fedpp::Bytes none;
    fedpp::ByteWriter(none).write<std::uint64_t>(0);
    const auto sum = me.store(S, fedpp::to_bytes(Sum(a_model(9)))).object;
    require_ok(me.execute(add, {{sum, S}, {bobs, M}}, weight(1.0)));
    require_ok(me.execute(add, {{sum, S}, {alices, M}}, weight(1e-300)));
    require_refused(me.execute(average, {{sum, S}}, none), Code::FAILED_PRECONDITION, secure, lines, "1 data owner");
    // The legal twins: a weight of 0.02 counts, in fedavg and in the sum
    // (with models bob and alice have not given before: each goes into one
    // aggregate).
    const auto aggregate = me.execute(fedavg_name(), {{parties.another("bob", 5), M}, {parties.another("alice", 6), M}},
                                      fedavg_arguments(2, {1.0, 0.02}));
    require_ok(aggregate);
    const auto released = fetch_aggregate(me, aggregate.object);
    CHECK(released.contributions() == 2);
    CHECK(fedpp::to_bytes(released.model()) != fedpp::to_bytes(a_model(5)));
    require_ok(me.execute(add, {{sum, S}, {parties.another("alice", 7), M}}, weight(0.02)));
    require_ok(me.execute(average, {{sum, S}}, none));
    // A ratio outside [0, 1] is no policy: the aggregator does not start.
    for (const double ratio : {-0.5, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        auto policy = network::aggregator("secure_worker");
        policy.min_weight_ratio = ratio;
        CHECK_THROWS_WITH(fedpp::party::Host(policy), Catch::Contains("min_weight_ratio must be in [0, 1]"));
    }
}
