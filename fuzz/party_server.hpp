// The fuzzed party server (fuzz_party_server) and its seeds (make_party_seeds):
// two parties as a PartyServer would run them, bob (a data owner with its
// data published) and secure_worker (an aggregator holding bob's and alice's
// contributions), preloaded alike for every input, and the input format: a
// sequence of requests as the server decodes them.
//
//     input   = record*
//     record  = kind (1 byte) | who (1 byte) | size (2 bytes, little-endian) | message (size bytes)
//
// kind % 11 picks the message: 0 a StoreChunk of the current Store stream,
// 1 the end of that stream, 2 Fetch, 3 Erase, 4 Copy (ObjectRequest), 5
// Forward (ForwardRequest), 6 Execute (ExecuteRequest), 7 Find
// (FindRequest), 8 List (no message), 9 Withdraw and 10 Forwarded
// (TransferRequest). (who & 0x7f) % 6 picks the peer, its top bit the
// party.
#pragma once

#include "party.pb.h"

#include <fedpp/fedpp.hpp>
#include <fedpp/party/host.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fuzzing {

using Model = fedpp::nn::Linear<double>;
using Data = fedpp::Tensor<double>;

// Computations compiled into the fuzzed party's program.
inline constexpr auto loss_of = fedpp::computation<"fuzz.loss">(
    [](Model& m, Data& data, Data& target) { return (m(data) - target).pow(2).sum().item(); });
inline constexpr auto copy_of = fedpp::computation<"fuzz.copy">([](Data& data) { return data.detach(); });
inline constexpr auto fail = fedpp::computation<"fuzz.fail">([](Data& data) -> double {
    throw fedpp::ArgumentError("fuzz.fail " + std::to_string(data.rows()));
});

template <auto F, class... Objects>
std::string computation_name() {
    using Named = std::remove_cvref_t<decltype(F)>;
    return fedpp::detail::computation_of<fedpp::detail::RunComputation<Named, fedpp::detail::Object<Objects>...>>()
        .name;
}

inline std::string fedavg_name() {
    return fedpp::detail::computation_of<fedpp::detail::AggregationComputation<Model, fedpp::detail::FedAvg>>().name;
}

template <class T>
std::string type_of() {
    return fedpp::detail::value_type<T>().name;
}

inline const std::array<std::string, 6>& peers() {
    static const std::array<std::string, 6> names{"me#s1", "me#s2", "eve#s1", "bob", "alice", "me"};
    return names;
}

enum Kind : std::uint8_t {
    chunk,
    end_of_store,
    fetch,
    erase,
    copy,
    forward,
    execute,
    find,
    list,
    withdraw,
    forwarded,
    kinds
};

/// The two parties, preloaded, and the ids of what they hold.
struct Parties {
    static fedpp::party::Policy policy(const std::string& name, fedpp::party::Role role) {
        fedpp::party::Policy policy;
        policy.name = name;
        policy.role = role;
        policy.trusted_aggregators = {"secure_worker"};
        policy.max_value_bytes = std::uint64_t{1} << 20;
        return policy;
    }

    Parties()
        : bob(policy("bob", fedpp::party::Role::data_owner), [](const std::string&) {}, 1),
          secure(policy("secure_worker", fedpp::party::Role::aggregator), [](const std::string&) {}, 1) {
        // Object ids from 1 (not a random start): the same ids every run, as
        // the seed corpus has them.
        bob.publish("toy.data", Data{{0, 0}, {0, 1}});
        bob.publish("toy.target", Data{{0}, {1}});
        fedpp::Generator generator(7);
        const Model model(2, 1, generator);
        const fedpp::Bytes model_bytes = fedpp::to_bytes(model);
        bobs_model = bob.store("me#s1", type_of<Model>(), model_bytes);
        bobs_loss = bob.store("me#s1", "f64", fedpp::to_bytes(0.5));
        contributions[0] = secure.store("bob", type_of<Model>(), model_bytes, "me#s1");
        contributions[1] = secure.store("alice", type_of<Model>(), model_bytes, "me#s1");
        secures_model = secure.store("me#s1", type_of<Model>(), model_bytes);
    }

    fedpp::party::Host bob;
    fedpp::party::Host secure;
    fedpp::ObjectId bobs_model = 0;
    fedpp::ObjectId bobs_loss = 0;
    std::array<fedpp::ObjectId, 2> contributions{};
    fedpp::ObjectId secures_model = 0;
};

/// Appends a record to `input`.
inline void add_record(std::vector<std::uint8_t>& input, Kind kind, std::uint8_t who,
                       const google::protobuf::MessageLite* message = nullptr) {
    const std::string bytes = message == nullptr ? std::string() : message->SerializeAsString();
    input.push_back(kind);
    input.push_back(who);
    input.push_back(static_cast<std::uint8_t>(bytes.size() & 0xff));
    input.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
    input.insert(input.end(), bytes.begin(), bytes.end());
}

} // namespace fuzzing
