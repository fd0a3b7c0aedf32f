// Workloads 10 and 11 (issue 12): fedpp over gRPC between processes on
// 127.0.0.1, each against a baseline measured in the same run, alternately.
//
// 10. The model-averaging tutorial's loop with bob, alice and secure_worker
//     as processes of their own (examples/networked/networked_tutorial,
//     started by benchmarks/network.sh) against the same loop in this
//     process (tutorial::run: a Federation, three in-process workers, the
//     data sent); plain PyTorch is timed by pytorch_tutorial.py from the
//     context this program writes.
// 11. Moving a model of 1.66 M and of 100 M float32 parameters to another
//     process: fedpp's send() of a Tensor to bob (to_bytes, then gRPC's Store
//     stream with mutual TLS in fedpp's 1 MiB chunks, bob's policy checks and
//     decode) against (a) a bare gRPC Store stream of the same bytes, chunked
//     the same way, over the same kind of channel (mutual TLS, the same
//     certificates), to a tiny server in another process (this program with
//     --serve-bare) that only collects the bytes into one buffer, and (b)
//     plain loopback TCP (this program with --serve-tcp): a length, the
//     bytes, a one-byte acknowledgement.
//
//     fedpp_network_benchmarks --serve-bare --certificates DIR --port-file F
//     fedpp_network_benchmarks --serve-tcp --port-file F
//     fedpp_network_benchmarks --certificates DIR --peers bob=...,alice=...,secure_worker=...
//         --bare 127.0.0.1:P --tcp 127.0.0.1:Q --out RESULTS.json [--tutorial-runs N]
#include "hex_floats.hpp"
#include "model_averaging.hpp"

#include "party.grpc.pb.h"

#include <fedpp/fedpp.hpp>
#include <fedpp/grpc/transport.hpp>

#include <grpcpp/grpcpp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using T = float;
using Clock = std::chrono::steady_clock;
constexpr std::size_t chunk_bytes = std::size_t{1} << 20; // fedpp's default (ConnectionOptions::chunk_bytes)

std::map<std::string, std::string> parse_arguments(int argc, char** argv) {
    std::map<std::string, std::string> arguments;
    for (int i = 1; i < argc; ++i) {
        std::string key = argv[i];
        if (key.rfind("--", 0) != 0) {
            throw std::runtime_error("unexpected argument " + key);
        }
        key = key.substr(2);
        const bool flag = i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0;
        arguments[key] = flag ? "" : argv[++i];
    }
    return arguments;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void write_port(const std::string& path, int port) {
    const std::string partial = path + ".partial";
    std::ofstream(partial) << port << "\n";
    std::rename(partial.c_str(), path.c_str());
}

// ---------------------------------------------------------------------------
// The bare gRPC server: party.proto's Store, collecting the bytes.

class BareStore final : public fedpp::wire::Party::Service {
    ::grpc::Status Store(::grpc::ServerContext*, ::grpc::ServerReader<fedpp::wire::StoreChunk>* reader,
                         fedpp::wire::ObjectReply* reply) override {
        fedpp::wire::StoreChunk chunk;
        std::string bytes;
        bool first = true;
        while (reader->Read(&chunk)) {
            if (first) {
                bytes.reserve(chunk.total_bytes());
                first = false;
            }
            bytes.append(chunk.data());
        }
        reply->set_object(bytes.size());
        return ::grpc::Status::OK;
    }
};

::grpc::SslServerCredentialsOptions::PemKeyCertPair key_pair(const std::string& dir, const std::string& name) {
    return {read_file(dir + "/" + name + ".key"), read_file(dir + "/" + name + ".pem")};
}

int serve_bare(const std::map<std::string, std::string>& arguments) {
    const std::string dir = arguments.at("certificates");
    ::grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = read_file(dir + "/ca.pem");
    options.pem_key_cert_pairs.push_back(key_pair(dir, "bare"));
    BareStore service;
    ::grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", ::grpc::SslServerCredentials(options), &port);
    builder.SetMaxReceiveMessageSize(-1);
    builder.RegisterService(&service);
    const auto server = builder.BuildAndStart();
    write_port(arguments.at("port-file"), port);
    server->Wait();
    return 0;
}

// ---------------------------------------------------------------------------
// Plain TCP: an 8-byte length, the bytes, a one-byte acknowledgement.

bool read_all(int fd, char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

int serve_tcp(const std::map<std::string, std::string>& arguments) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener, 4) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        std::perror("serve-tcp");
        return 1;
    }
    write_port(arguments.at("port-file"), ntohs(address.sin_port));
    std::vector<char> buffer;
    for (;;) {
        const int fd = ::accept(listener, nullptr, nullptr);
        std::uint64_t size = 0;
        while (read_all(fd, reinterpret_cast<char*>(&size), sizeof size)) {
            buffer.resize(size);
            const char ack = 1;
            if (!read_all(fd, buffer.data(), size) || !write_all(fd, &ack, 1)) {
                break;
            }
        }
        ::close(fd);
    }
}

class TcpClient {
public:
    explicit TcpClient(const std::string& host_port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        const auto colon = host_port.rfind(':');
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
        ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &address.sin_addr);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot connect to " + host_port);
        }
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~TcpClient() { ::close(fd_); }
    TcpClient(const TcpClient&) = delete;
    TcpClient& operator=(const TcpClient&) = delete;

    void send(const fedpp::Bytes& bytes) {
        const std::uint64_t size = bytes.size();
        char ack = 0;
        if (!write_all(fd_, reinterpret_cast<const char*>(&size), sizeof size) ||
            !write_all(fd_, reinterpret_cast<const char*>(bytes.data()), bytes.size()) || !read_all(fd_, &ack, 1)) {
            throw std::runtime_error("plain TCP transfer failed");
        }
    }

private:
    int fd_;
};

// ---------------------------------------------------------------------------
// The model owner's side.

std::shared_ptr<::grpc::Channel> bare_channel(const std::string& dir, const std::string& address) {
    ::grpc::SslCredentialsOptions options;
    options.pem_root_certs = read_file(dir + "/ca.pem");
    options.pem_private_key = read_file(dir + "/me.key");
    options.pem_cert_chain = read_file(dir + "/me.pem");
    ::grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("bare");
    arguments.SetMaxReceiveMessageSize(-1);
    return ::grpc::CreateCustomChannel(address, ::grpc::SslCredentials(options), arguments);
}

/// The bytes streamed as fedpp streams them (detail::write_value).
void bare_store(fedpp::wire::Party::Stub& stub, const fedpp::Bytes& bytes) {
    ::grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    fedpp::wire::ObjectReply reply;
    auto writer = stub.Store(&context, &reply);
    std::size_t at = 0;
    bool first = true;
    while (first || at < bytes.size()) {
        fedpp::wire::StoreChunk chunk;
        if (first) {
            chunk.set_type("f32");
            chunk.set_total_bytes(bytes.size());
        }
        const std::size_t n = std::min(chunk_bytes, bytes.size() - at);
        chunk.set_data(reinterpret_cast<const char*>(bytes.data() + at), n);
        at += n;
        first = false;
        if (!writer->Write(chunk)) {
            break;
        }
    }
    writer->WritesDone();
    const auto status = writer->Finish();
    if (!status.ok() || reply.object() != bytes.size()) {
        throw std::runtime_error("bare gRPC store failed: " + status.error_message());
    }
}

struct Peers {
    fedpp::Worker<tutorial::Bob>* bob;
    fedpp::wire::Party::Stub* bare;
    TcpClient* tcp;
};

/// One model size: `repetitions` rounds of fedpp, bare gRPC, plain TCP.
std::string transfer_json(const Peers& peers, fedpp::Index parameters, int repetitions) {
    const auto tensor = fedpp::Tensor<T>::full(parameters, 1, T(0.5));
    const fedpp::Bytes bytes = fedpp::to_bytes(tensor);
    std::vector<double> fedpp_s, bare_s, tcp_s, encode_s;
    for (int r = 0; r < repetitions; ++r) {
        auto start = Clock::now();
        {
            const fedpp::Bytes encoded = fedpp::to_bytes(tensor); // the buffer send() no longer makes, alone
            encode_s.push_back(seconds_since(start));
        }
        start = Clock::now();
        {
            auto at_bob = fedpp::send(tensor, *peers.bob);
            fedpp_s.push_back(seconds_since(start));
        } // erased at bob, untimed
        start = Clock::now();
        bare_store(*peers.bare, bytes);
        bare_s.push_back(seconds_since(start));
        start = Clock::now();
        peers.tcp->send(bytes);
        tcp_s.push_back(seconds_since(start));
    }
    const auto list = [](const std::vector<double>& v) {
        std::string text = "[";
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) {
                text += ", ";
            }
            text += std::to_string(v[i]);
        }
        return text + "]";
    };
    std::printf("%lld parameters (%zu bytes): fedpp %.4f s, bare gRPC %.4f s, plain TCP %.4f s, to_bytes alone %.4f s "
                "(medians)\n",
                static_cast<long long>(parameters), bytes.size(), median(fedpp_s), median(bare_s), median(tcp_s),
                median(encode_s));
    return "{\"parameters\": " + std::to_string(parameters) + ", \"bytes\": " + std::to_string(bytes.size()) +
           ", \"fedpp_seconds\": " + list(fedpp_s) + ", \"bare_grpc_seconds\": " + list(bare_s) +
           ", \"tcp_seconds\": " + list(tcp_s) + ", \"to_bytes_seconds\": " + list(encode_s) + "}";
}

/// The tutorial loop over the network and in process, alternately; writes
/// the context pytorch_tutorial.py starts from and checks against.
std::string tutorial_json(fedpp::Federation&, fedpp::Worker<tutorial::Bob>& bob, fedpp::Worker<tutorial::Alice>& alice,
                          fedpp::Worker<tutorial::Secure>& secure_worker, int runs, const std::string& context_path) {
    const auto bobs_data = bob.find<fedpp::Tensor<T>>("toy.data");
    const auto bobs_target = bob.find<fedpp::Tensor<T>>("toy.target");
    const auto alices_data = alice.find<fedpp::Tensor<T>>("toy.data");
    const auto alices_target = alice.find<fedpp::Tensor<T>>("toy.target");
    fedpp::Generator generator(2019);
    const fedpp::nn::Linear<T> initial(2, 1, generator);
    std::vector<double> networked, in_process;
    bool identical = true;
    tutorial::Result<T> last_in_process = tutorial::run<T>(initial.copy());
    for (int r = 0; r < runs; ++r) {
        auto start = Clock::now();
        const auto result = tutorial::train<T>(bob, alice, secure_worker, bobs_data, bobs_target, alices_data,
                                               alices_target, initial.copy(), {});
        networked.push_back(seconds_since(start));
        start = Clock::now();
        last_in_process = tutorial::run<T>(initial.copy());
        in_process.push_back(seconds_since(start));
        identical = identical && fedpp::to_bytes(result.model) == fedpp::to_bytes(last_in_process.model);
    }
    std::vector<double> losses, parameters;
    for (std::size_t round = 0; round < last_in_process.bob_losses.size(); ++round) {
        losses.push_back(last_in_process.bob_losses[round]);
        losses.push_back(last_in_process.alice_losses[round]);
    }
    for (const auto& parameter : last_in_process.model.parameters()) {
        parameters.insert(parameters.end(), parameter.value().data(), parameter.value().data() + parameter.value().size());
    }
    const auto& weight = initial.weight().value();
    const auto& bias = initial.bias().value();
    std::ofstream(context_path) << "{\"context\": {\"tutorial_initial_parameters\": \""
                                << bench::hex_list({weight(0, 0), weight(0, 1), bias(0, 0)})
                                << "\", \"tutorial_fedpp_losses\": \"" << bench::hex_list(losses)
                                << "\", \"tutorial_fedpp_parameters\": \"" << bench::hex_list(parameters) << "\"}}\n";
    std::printf("tutorial: networked %.3f ms, in process %.3f ms (medians of %d), bitwise identical: %s\n",
                median(networked) * 1e3, median(in_process) * 1e3, runs, identical ? "yes" : "NO");
    return "{\"runs\": " + std::to_string(runs) + ", \"networked_seconds\": " + std::to_string(median(networked)) +
           ", \"in_process_seconds\": " + std::to_string(median(in_process)) +
           ", \"bitwise_identical\": " + (identical ? "true" : "false") + "}";
}

int run_model_owner(const std::map<std::string, std::string>& arguments) {
    const std::string dir = arguments.at("certificates");
    fedpp::grpc::Peers peers;
    std::stringstream list(arguments.at("peers"));
    for (std::string item; std::getline(list, item, ',');) {
        peers.insert(fedpp::grpc::parse_peer(item));
    }
    fedpp::grpc::Credentials credentials{dir + "/me.pem", dir + "/me.key", dir + "/ca.pem"};
    fedpp::Federation hook("me", std::make_unique<fedpp::grpc::GrpcTransport>("me", credentials, peers));
    fedpp::Worker<tutorial::Bob> bob(hook);
    fedpp::Worker<tutorial::Alice> alice(hook);
    fedpp::Worker<tutorial::Secure> secure_worker(hook);
    const int runs = arguments.count("tutorial-runs") ? std::stoi(arguments.at("tutorial-runs")) : 21;
    const std::string tutorial = tutorial_json(hook, bob, alice, secure_worker, runs, arguments.at("context-out"));

    auto stub = fedpp::wire::Party::NewStub(bare_channel(dir, arguments.at("bare")));
    TcpClient tcp(arguments.at("tcp"));
    const Peers transfer_peers{&bob, stub.get(), &tcp};
    const std::string small = transfer_json(transfer_peers, 1'663'370, 21);
    const std::string large = transfer_json(transfer_peers, 100'000'000, 5);
    std::ofstream(arguments.at("out")) << "{\"tutorial\": " << tutorial << ",\n \"transfers\": [" << small << ",\n  "
                                       << large << "]}\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const auto arguments = parse_arguments(argc, argv);
        if (arguments.count("serve-bare")) {
            return serve_bare(arguments);
        }
        if (arguments.count("serve-tcp")) {
            return serve_tcp(arguments);
        }
        return run_model_owner(arguments);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fedpp_network_benchmarks: %s\n", error.what());
        return 1;
    }
}
