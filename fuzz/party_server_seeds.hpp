// The seed corpus of fuzz_party_server, written into <dir>/fuzz_party_server:
// the requests of a tutorial round (store, find, execute, fetch of a loss,
// forward, fedavg, fetch of the aggregate) and hostile ones. The fuzz target
// itself writes them (FEDPP_FUZZ_WRITE_SEEDS=dir, see scripts/run_fuzzers.sh):
// a separate program would need fedpp_grpc without the fuzzer's
// instrumentation.
#pragma once

#include "party_server.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fuzzing::seeds {

using Input = std::vector<std::uint8_t>;

inline void write(const std::filesystem::path& dir, const std::string& name, const Input& input) {
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
}

inline fedpp::wire::ObjectRequest object(fedpp::ObjectId id, const std::string& type) {
    fedpp::wire::ObjectRequest message;
    message.set_object(id);
    message.set_type(type);
    return message;
}

inline void add_store(Input& input, std::uint8_t who, const std::string& type, const fedpp::Bytes& bytes) {
    fedpp::wire::StoreChunk first;
    first.set_type(type);
    first.set_total_bytes(bytes.size());
    const std::size_t half = bytes.size() / 2;
    first.set_data(reinterpret_cast<const char*>(bytes.data()), half);
    add_record(input, chunk, who, &first);
    fedpp::wire::StoreChunk second;
    second.set_data(reinterpret_cast<const char*>(bytes.data() + half), bytes.size() - half);
    add_record(input, chunk, who, &second);
    add_record(input, end_of_store, who);
}

inline fedpp::wire::ExecuteRequest execute_of(const std::string& name,
                                       const std::vector<std::pair<fedpp::ObjectId, std::string>>& inputs,
                                       const fedpp::Bytes& arguments = {}) {
    fedpp::wire::ExecuteRequest message;
    message.set_computation(name);
    for (const auto& [id, type] : inputs) {
        auto* added = message.add_inputs();
        added->set_object(id);
        added->set_type(type);
    }
    message.set_arguments(reinterpret_cast<const char*>(arguments.data()), arguments.size());
    return message;
}

inline void write_party_seeds(const std::filesystem::path& root) {
    const std::filesystem::path dir = root / "fuzz_party_server";
    Parties parties;
    const std::string M = type_of<Model>();
    const std::string D = type_of<Data>();
    constexpr std::uint8_t me = 0, other_session = 1, eve = 2, secure = 0x80;
    const fedpp::ObjectId data = parties.bob.find("me#s1", "toy.data", D);
    const fedpp::ObjectId target = parties.bob.find("me#s1", "toy.target", D);

    fedpp::wire::FindRequest find_data;
    find_data.set_tag("toy.data");
    find_data.set_type(D);
    const auto loss = execute_of(computation_name<loss_of, Model, Data, Data>(),
                                 {{parties.bobs_model, M}, {data, D}, {target, D}});
    fedpp::wire::ForwardRequest forward_model;
    forward_model.set_object(parties.bobs_model);
    forward_model.set_type(M);
    forward_model.set_destination("secure_worker");
    fedpp::Bytes fedavg_arguments;
    fedpp::ByteWriter out(fedavg_arguments);
    out.write<std::uint64_t>(2);
    fedpp::Codec<std::vector<double>>::encode(std::vector<double>{}, out);
    const auto fedavg = execute_of(fedavg_name(), {{parties.contributions[0], M}, {parties.contributions[1], M}},
                                   fedavg_arguments);

    Input round;
    fedpp::Generator generator(3);
    add_store(round, me, M, fedpp::to_bytes(Model(2, 1, generator)));
    add_record(round, find, me, &find_data);
    add_record(round, execute, me, &loss);
    const auto fetch_loss = object(parties.bobs_loss + 2, "f64"); // after the model stored above
    add_record(round, fetch, me, &fetch_loss);
    add_record(round, forward, me, &forward_model);
    add_record(round, execute, me | secure, &fedavg);
    // One shard per thread at the aggregator (8): after the forwarded model.
    const auto fetch_aggregate = object(parties.secures_model + 16, type_of<fedpp::Aggregate<Model>>());
    add_record(round, fetch, me | secure, &fetch_aggregate);
    add_record(round, list, me);
    write(dir, "round", round);

    Input hostile;
    const auto fetch_model = object(parties.bobs_model, M);
    add_record(hostile, fetch, me, &fetch_model);
    add_record(hostile, fetch, eve, &fetch_model);
    add_record(hostile, copy, other_session, &fetch_model);
    const auto fetch_data = object(data, D);
    add_record(hostile, fetch, me, &fetch_data);
    add_record(hostile, erase, eve, &fetch_data);
    auto to_eve = forward_model;
    to_eve.set_destination("eve");
    add_record(hostile, forward, me, &to_eve);
    const auto fetch_contribution = object(parties.contributions[0], M);
    add_record(hostile, fetch, me | secure, &fetch_contribution);
    add_record(hostile, copy, me | secure, &fetch_contribution);
    const auto one = execute_of(fedavg_name(), {{parties.contributions[0], M}}, fedavg_arguments);
    add_record(hostile, execute, me | secure, &one);
    const auto failing = execute_of(computation_name<fail, Data>(), {{data, D}});
    add_record(hostile, execute, me, &failing);
    const auto copied = execute_of(computation_name<copy_of, Data>(), {{data, D}});
    add_record(hostile, execute, me, &copied);
    const auto erase_loss = object(parties.bobs_loss, "f64");
    add_record(hostile, erase, me, &erase_loss);
    add_record(hostile, erase, me, &erase_loss);
    write(dir, "hostile", hostile);

    // Values numbered by their sender (a forward's), at the aggregator:
    // stored, sent again, withdrawn, withdrawn before they came, asked after
    // by another peer.
    Input numbered;
    constexpr std::uint8_t bob = 3;
    fedpp::wire::StoreChunk numbered_model;
    numbered_model.set_type(M);
    numbered_model.set_on_behalf_of("me#s1");
    const fedpp::Bytes model_bytes = fedpp::to_bytes(Model(2, 1, generator));
    numbered_model.set_total_bytes(model_bytes.size());
    numbered_model.set_data(reinterpret_cast<const char*>(model_bytes.data()), model_bytes.size());
    fedpp::wire::TransferRequest withdraw_5;
    withdraw_5.set_transfer(5);
    fedpp::wire::TransferRequest withdraw_6;
    withdraw_6.set_transfer(6);
    for (const std::uint64_t transfer : {5, 5}) {
        numbered_model.set_transfer(transfer);
        add_record(numbered, chunk, bob | secure, &numbered_model);
        add_record(numbered, end_of_store, bob | secure);
    }
    add_record(numbered, withdraw, bob | secure, &withdraw_5);
    add_record(numbered, withdraw, eve | secure, &withdraw_5);
    add_record(numbered, withdraw, bob | secure, &withdraw_6);
    numbered_model.set_transfer(6);
    add_record(numbered, chunk, bob | secure, &numbered_model);
    add_record(numbered, end_of_store, bob | secure);
    write(dir, "numbered", numbered);

    // Moves numbered by their requester, at bob: asked about before it came
    // (then refused), moved, asked for again (refused), asked about by
    // their requester and by another peer, and number 0.
    Input numbered_moves;
    fedpp::wire::TransferRequest move_8;
    move_8.set_transfer(8);
    add_record(numbered_moves, forwarded, me, &move_8);
    auto numbered_forward = forward_model;
    numbered_forward.set_transfer(8);
    add_record(numbered_moves, forward, me, &numbered_forward);
    numbered_forward.set_transfer(7);
    add_record(numbered_moves, forward, me, &numbered_forward);
    add_record(numbered_moves, forward, me, &numbered_forward);
    fedpp::wire::TransferRequest move_7;
    move_7.set_transfer(7);
    add_record(numbered_moves, forwarded, me, &move_7);
    add_record(numbered_moves, forwarded, eve, &move_7);
    add_record(numbered_moves, forwarded, me, &move_7);
    const fedpp::wire::TransferRequest move_0;
    add_record(numbered_moves, forwarded, me, &move_0);
    write(dir, "numbered_moves", numbered_moves);

    // Copies and computations numbered by their requester, at bob: made,
    // numbered again (refused), asked after by their requester and by
    // another peer, withdrawn before they came (then refused), and one its
    // requester gave up waiting for (every seventh number, from 3).
    Input numbered_requests;
    auto copy_9 = object(parties.bobs_model, M);
    copy_9.set_transfer(9);
    add_record(numbered_requests, copy, me, &copy_9);
    add_record(numbered_requests, copy, me, &copy_9);
    fedpp::wire::TransferRequest withdraw_9;
    withdraw_9.set_transfer(9);
    add_record(numbered_requests, withdraw, me, &withdraw_9);
    add_record(numbered_requests, withdraw, eve, &withdraw_9);
    auto copied_11 = copied;
    copied_11.set_transfer(11);
    fedpp::wire::TransferRequest withdraw_11;
    withdraw_11.set_transfer(11);
    add_record(numbered_requests, withdraw, me, &withdraw_11);
    add_record(numbered_requests, execute, me, &copied_11);
    auto copied_12 = copied;
    copied_12.set_transfer(12);
    add_record(numbered_requests, execute, me, &copied_12);
    auto copied_10 = copied;
    copied_10.set_transfer(10);
    add_record(numbered_requests, execute, me, &copied_10);
    write(dir, "numbered_requests", numbered_requests);

    Input oversized;
    fedpp::wire::StoreChunk big;
    big.set_type(D);
    big.set_total_bytes(std::uint64_t{1} << 40);
    add_record(oversized, chunk, me, &big);
    add_record(oversized, end_of_store, me);
    write(dir, "oversized", oversized);
}

} // namespace fuzzing::seeds
