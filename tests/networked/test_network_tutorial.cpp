// The tutorial over the network: bob, alice and secure_worker as gRPC
// servers, the model owner's code unchanged, the result bitwise identical
// to the in-process run, and no byte of a data owner's model at the model
// owner.
#include "network_parties.hpp"

#include "model_averaging.hpp"

#include <catch2/catch.hpp>

#include <cstring>

namespace {

template <class T>
fedpp::Bytes bytes_of(const fedpp::nn::Linear<T>& model) {
    return fedpp::to_bytes(model);
}

/// The tutorial's three parties, as servers, Bob and Alice each with its own
/// half of the toy data, published (nothing of it is ever sent).
struct TutorialParties {
    TutorialParties() {
        using T = double;
        const auto data = tutorial::toy_data<T>();
        const auto target = tutorial::toy_target<T>();
        bob.host.publish("toy.data", data.slice_rows(0, 2));
        bob.host.publish("toy.target", target.slice_rows(0, 2));
        alice.host.publish("toy.data", data.slice_rows(2, 4));
        alice.host.publish("toy.target", target.slice_rows(2, 4));
    }

    /// The model owner's transport to them.
    [[nodiscard]] std::unique_ptr<fedpp::grpc::GrpcTransport>
    transport(const fedpp::grpc::ConnectionOptions& options = network::quick()) const {
        return network::transport("me", {{"bob", &bob}, {"alice", &alice}, {"secure_worker", &secure}}, options);
    }

    network::Party secure{network::aggregator("secure_worker")};
    network::Party bob{network::data_owner("bob"), {{"secure_worker", secure.address()}}};
    network::Party alice{network::data_owner("alice"), {{"secure_worker", secure.address()}}};
};

} // namespace

TEST_CASE("the tutorial over the network equals the tutorial in one process, bitwise", "[network]") {
    using T = double;
    TutorialParties parties;
    auto& [secure, bob, alice] = parties;

    fedpp::Generator generator(2019);
    const fedpp::nn::Linear<T> initial(2, 1, generator);
    const auto in_process = tutorial::run<T>(initial.copy());

    fedpp::Federation hook("me", parties.transport());
    fedpp::Worker<tutorial::Bob> bob_worker(hook);
    fedpp::Worker<tutorial::Alice> alice_worker(hook);
    fedpp::Worker<tutorial::Secure> secure_worker(hook);
    const auto bobs_data = bob_worker.find<fedpp::Tensor<T>>("toy.data");
    const auto bobs_target = bob_worker.find<fedpp::Tensor<T>>("toy.target");
    const auto alices_data = alice_worker.find<fedpp::Tensor<T>>("toy.data");
    const auto alices_target = alice_worker.find<fedpp::Tensor<T>>("toy.target");
    const auto networked = tutorial::train<T>(bob_worker, alice_worker, secure_worker, bobs_data, bobs_target,
                                              alices_data, alices_target, initial.copy(), {});

    CHECK(bytes_of(networked.model) == bytes_of(in_process.model));
    CHECK(networked.bob_losses == in_process.bob_losses);
    CHECK(networked.alice_losses == in_process.alice_losses);
    // Nothing was refused, nothing is left behind.
    CHECK(bob.log.empty());
    CHECK(secure.log.empty());
    CHECK(secure.host.object_count() == 0);
    CHECK(bob.host.object_count() == 2); // its published data only

    // Each party's own account: the model owner received from the data
    // owners only scalars, and from the aggregator only aggregates.
    for (const auto* party : {&bob, &alice}) {
        for (const auto& line : party->host.traffic().lines()) {
            if (line.direction == "out" && line.peer == "me") {
                CHECK(line.type == "f64");
            }
            if (line.direction == "out" && line.peer != "me") {
                CHECK(line.peer == "secure_worker");
            }
        }
    }
    for (const auto& line : secure.host.traffic().lines()) {
        if (line.direction == "out") {
            CHECK(line.peer == "me");
            CHECK(line.type == fedpp::Codec<fedpp::Aggregate<fedpp::nn::Linear<T>>>::type_name());
        }
    }
}

TEST_CASE("values sent in chunks of a few bytes arrive exactly, decoded as they come: the tutorial with 7-byte "
          "chunks equals it in process; a value over a party's limit is refused",
          "[network]") {
    using T = double;
    TutorialParties parties;
    fedpp::Generator generator(2019);
    const fedpp::nn::Linear<T> initial(2, 1, generator);
    const auto in_process = tutorial::run<T>(initial.copy());

    auto options = network::quick();
    options.chunk_bytes = 7; // every integer, name and matrix of a model across chunk boundaries
    fedpp::Federation hook("me", parties.transport(options));
    fedpp::Worker<tutorial::Bob> bob(hook);
    fedpp::Worker<tutorial::Alice> alice(hook);
    fedpp::Worker<tutorial::Secure> secure(hook);
    const auto networked = tutorial::train<T>(
        bob, alice, secure, bob.find<fedpp::Tensor<T>>("toy.data"), bob.find<fedpp::Tensor<T>>("toy.target"),
        alice.find<fedpp::Tensor<T>>("toy.data"), alice.find<fedpp::Tensor<T>>("toy.target"), initial.copy(), {});
    CHECK(bytes_of(networked.model) == bytes_of(in_process.model));
    CHECK(networked.bob_losses == in_process.bob_losses);
    CHECK(parties.bob.log.empty());

    // A party with a small limit refuses a larger value from its header
    // (the model owner stops encoding it), and keeps nothing of it.
    auto policy = network::data_owner("bob");
    policy.max_value_bytes = 4096;
    network::Party small(policy);
    fedpp::Federation small_hook("me", network::transport("me", {{"bob", &small}}));
    fedpp::Worker<tutorial::Bob> small_bob(small_hook);
    const auto large = fedpp::Tensor<T>::full(100'000, 1, T(0.5));
    CHECK_THROWS_AS(fedpp::send(large, small_bob), fedpp::PermissionDeniedError);
    CHECK(small.host.object_count() == 0);
    REQUIRE(small.log.lines().size() == 1);
    CHECK_THAT(small.log.lines()[0], Catch::Contains("4096"));
    // The legal twin.
    const auto fits = fedpp::send(fedpp::Tensor<T>::full(10, 1, T(0.5)), small_bob);
    CHECK(small.host.object_count() == 1);
}

TEST_CASE("1,000 rounds of the tutorial over the network leave every party with nothing but its data", "[network]") {
    using T = double;
    TutorialParties parties;
    auto& [secure, bob, alice] = parties;

    fedpp::Generator generator(2019);
    fedpp::nn::Linear<T> model(2, 1, generator);
    tutorial::Settings<T> settings;
    settings.iterations = 100;
    settings.worker_iters = 1;
    for (int session = 0; session < 10; ++session) { // ten model-owner sessions of 100 rounds
        fedpp::Federation hook("me", parties.transport());
        fedpp::Worker<tutorial::Bob> bob_worker(hook);
        fedpp::Worker<tutorial::Alice> alice_worker(hook);
        fedpp::Worker<tutorial::Secure> secure_worker(hook);
        model = tutorial::train<T>(bob_worker, alice_worker, secure_worker, bob_worker.find<fedpp::Tensor<T>>("toy.data"),
                                   bob_worker.find<fedpp::Tensor<T>>("toy.target"),
                                   alice_worker.find<fedpp::Tensor<T>>("toy.data"),
                                   alice_worker.find<fedpp::Tensor<T>>("toy.target"), std::move(model), settings)
                    .model;
        CHECK(secure.host.object_count() == 0);
        CHECK(bob.host.object_count() == 2);
        CHECK(alice.host.object_count() == 2);
    }
    CHECK(bob.log.empty());
    CHECK(alice.log.empty());
    CHECK(secure.log.empty());
}
