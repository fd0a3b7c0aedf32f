// PySyft's tutorial "Federated Learning with Model Averaging" with every
// party a process of its own: the same program runs as bob, alice,
// secure_worker (each serving over gRPC with mutual TLS) and as the model
// owner, whose code is the in-process tutorial's (tutorial::train), switched
// to the network by its transport. Bob and Alice publish their own data;
// the model owner never sends or receives a byte of it, nor of their
// models: they move from Bob's and Alice's processes straight to the secure
// worker's, which releases only their average.
//
//     bash examples/networked/run_tutorial.sh        # all four, on 127.0.0.1
//
// or by hand, each on its own machine (see README, "Running on several
// machines"):
//     networked_tutorial --party secure_worker --certificates DIR --listen 0.0.0.0:7003
//     networked_tutorial --party bob --certificates DIR --listen 0.0.0.0:7001 --trust secure_worker --peers secure_worker=HOST:7003
//     networked_tutorial --party alice ... (as bob, on 7002)
//     networked_tutorial --party me --certificates DIR --peers bob=HOST:7001,alice=HOST:7002,secure_worker=HOST:7003
#include "../federated_cli.hpp"
#include "../model_averaging.hpp"
#include "party_cli.hpp"

#include <fedpp/grpc/transport.hpp>

#include <cstdio>
#include <string>

namespace {

using T = float;

/// Bob's or Alice's half of the tutorial's toy data, which they hold
/// (here built in; a real data owner loads its own files).
int serve_data_owner(const examples::CommandLine& cli, const std::string& name) {
    auto policy = examples::networked::policy_of(cli, name, fedpp::party::Role::data_owner);
    if (!cli.has("trust")) {
        policy.trusted_aggregators = {"secure_worker"};
    }
    fedpp::party::Host host(policy);
    const fedpp::Index first = name == "bob" ? 0 : 2;
    host.publish("toy.data", tutorial::toy_data<T>().slice_rows(first, first + 2));
    host.publish("toy.target", tutorial::toy_target<T>().slice_rows(first, first + 2));
    return examples::networked::serve(host, cli);
}

int serve_aggregator(const examples::CommandLine& cli, const std::string& name) {
    auto policy = examples::networked::policy_of(cli, name, fedpp::party::Role::aggregator);
    // Only Bob's and Alice's values count as contributions: a value the
    // model owner sent itself can never make an "average" of one model.
    policy.contributors = {"bob", "alice"};
    fedpp::party::Host host(policy);
    return examples::networked::serve(host, cli);
}

/// The model owner: the tutorial's loop, unchanged, with workers reached
/// over the network; then the same loop in this process, to compare.
int run_model_owner(const examples::CommandLine& cli, const std::string& name) {
    using namespace fedpp;
    auto transport = std::make_unique<grpc::GrpcTransport>(name, examples::networked::credentials(cli, name),
                                                           examples::networked::peers(cli));
    grpc::GrpcTransport& network = *transport;
    Federation hook(name, std::move(transport));
    Worker<tutorial::Bob> bob(hook);
    Worker<tutorial::Alice> alice(hook);
    Worker<tutorial::Secure> secure_worker(hook);
    const auto bobs_data = bob.find<Tensor<T>>("toy.data");
    const auto bobs_target = bob.find<Tensor<T>>("toy.target");
    const auto alices_data = alice.find<Tensor<T>>("toy.data");
    const auto alices_target = alice.find<Tensor<T>>("toy.target");

    Generator generator(2019); // the initial model's seed, as examples/model_averaging.cpp
    const nn::Linear<T> initial(2, 1, generator);
    const auto result = tutorial::train<T>(
        bob, alice, secure_worker, bobs_data, bobs_target, alices_data, alices_target, initial.copy(), {},
        [](int, T bobs_loss, T alices_loss) {
            std::printf("Bob: %.6f Alice: %.6f\n", static_cast<double>(bobs_loss), static_cast<double>(alices_loss));
        });
    const auto in_process = tutorial::run<T>(initial.copy());
    const bool same = to_bytes(result.model) == to_bytes(in_process.model) &&
                      result.bob_losses == in_process.bob_losses && result.alice_losses == in_process.alice_losses;
    // Each party's own account of what it sent us.
    for (const std::string party : {"bob", "alice", "secure_worker"}) {
        for (const auto& line : network.traffic_of(party)) {
            if (line.direction == "out" && line.peer == name) {
                std::printf("%s sent the model owner %llu x %s (%llu bytes)\n", party.c_str(),
                            static_cast<unsigned long long>(line.count), line.type.c_str(),
                            static_cast<unsigned long long>(line.bytes));
            }
        }
    }
    std::printf("bitwise identical to the in-process run: %s\n", same ? "yes" : "NO");
    return same ? 0 : 1;
}

int networked_tutorial(const examples::CommandLine& cli) {
    const std::string name = examples::networked::party_name(cli);
    if (name == "bob" || name == "alice") {
        return serve_data_owner(cli, name);
    }
    if (name == "secure_worker") {
        return serve_aggregator(cli, name);
    }
    if (name == "me") {
        examples::networked::refuse_worker_options(cli, name);
        return run_model_owner(cli, name);
    }
    cli.fail("unknown party '" + name + "' (bob, alice, secure_worker or me)");
}

} // namespace

int main(int argc, char** argv) {
    return examples::run_program(argc, argv, examples::networked::party_options({}), networked_tutorial);
}
