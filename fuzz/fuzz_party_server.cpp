// libFuzzer target: every message a PartyServer decodes (StoreChunk streams,
// ObjectRequest, ForwardRequest, ExecuteRequest, FindRequest,
// TransferRequest for Withdraw and Forwarded), parsed from
// the input as the server's gRPC layer would, and applied to a data owner
// and an aggregator by the server's own handlers (src/grpc/handlers.hpp),
// from peers of every kind. Format: fuzz/party_server.hpp.
//
// Beyond "no crash, no sanitizer report, only fedpp::Error": what a party
// must never do whatever it is asked. A data owner releases only scalars,
// moves values only to its trusted aggregator and keeps its published data;
// an aggregator releases only scalars and aggregates; nothing is released
// to a peer that does not own it.
#include "handlers.hpp"
#include "party_server.hpp"
#include "party_server_seeds.hpp"

#include <google/protobuf/stubs/logging.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

[[noreturn]] void finding() { __builtin_trap(); }

bool is_scalar(const std::string& type) {
    static const std::set<std::string> scalars{"bool", "f32", "f64", "i8",  "i16", "i32",
                                               "i64",  "u8",  "u16", "u32", "u64"};
    return scalars.count(type) != 0;
}

struct Run {
    fuzzing::Parties parties;
    std::optional<std::vector<fedpp::wire::StoreChunk>> store; // a Store stream's chunks so far
    std::string store_peer;
    bool store_at_bob = true;
    std::uint64_t transfers = 0; // bob's and the aggregator's numbers for what they move on
    // The values each party was sent under their sender's numbers.
    fedpp::grpc::detail::Arrivals bob_arrivals{std::chrono::minutes(10)};
    fedpp::grpc::detail::Arrivals secure_arrivals{std::chrono::minutes(10)};
    // The moves each party was asked for under their requester's numbers.
    fedpp::grpc::detail::Departures bob_departures{std::chrono::minutes(10)};
    fedpp::grpc::detail::Departures secure_departures{std::chrono::minutes(10)};

    /// The aggregator's side of a value moved from bob: stored there as its
    /// server would (a party moving a value on sends no session), numbered;
    /// every third answer is lost on the way back (bob then asks after it),
    /// every fifth comes after bob stopped waiting (not kept).
    fedpp::ObjectId store_at(const std::string& destination, const std::string& type, const fedpp::Bytes& bytes,
                             const std::string& requester, std::uint64_t transfer) {
        if (destination != "secure_worker") {
            finding(); // bob trusts only secure_worker
        }
        fedpp::wire::StoreChunk chunk;
        chunk.set_type(type);
        chunk.set_on_behalf_of(requester);
        chunk.set_total_bytes(bytes.size());
        chunk.set_transfer(transfer);
        chunk.set_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        bool sent = false;
        const fedpp::ObjectId id = fedpp::grpc::detail::store(
            parties.secure, "bob",
            [&](fedpp::wire::StoreChunk& next) {
                next = chunk;
                return !std::exchange(sent, true);
            },
            secure_arrivals, [&] { return transfer % 5 == 0; }); // (every fifth: bob gave up waiting)
        if (transfer % 3 == 0) {
            throw fedpp::NetworkError("fuzz: the answer was lost");
        }
        return id;
    }

    /// What the aggregator says became of a value bob numbered `transfer`
    /// (its server's answer to bob's Withdraw).
    fedpp::wire::ObjectReply withdraw_at(const std::string& destination, std::uint64_t transfer) {
        if (destination != "secure_worker") {
            finding();
        }
        fedpp::wire::TransferRequest question;
        question.set_transfer(transfer);
        return fedpp::grpc::detail::withdraw(parties.secure, "bob", question, secure_arrivals);
    }

    template <class Message>
    static bool parse(Message& message, const std::uint8_t* data, std::size_t size) {
        return message.ParseFromArray(data, static_cast<int>(size));
    }

    void apply(std::uint8_t kind, std::uint8_t who, const std::uint8_t* data, std::size_t size) {
        namespace d = fedpp::grpc::detail;
        const std::string& peer = fuzzing::peers()[(who & 0x7f) % fuzzing::peers().size()];
        const bool at_bob = (who & 0x80) == 0;
        fedpp::party::Host& host = at_bob ? parties.bob : parties.secure;
        switch (kind % fuzzing::kinds) {
        case fuzzing::chunk: {
            fedpp::wire::StoreChunk message;
            if (!parse(message, data, size)) {
                return;
            }
            if (!store) {
                store_peer = peer;
                store_at_bob = at_bob;
                store.emplace();
            }
            store->push_back(std::move(message));
            return;
        }
        case fuzzing::end_of_store: {
            if (!store) {
                return;
            }
            const std::vector<fedpp::wire::StoreChunk> chunks = std::move(*store);
            store.reset();
            std::size_t next = 0;
            (void)d::store(
                store_at_bob ? parties.bob : parties.secure, store_peer,
                [&](fedpp::wire::StoreChunk& chunk) {
                    if (next == chunks.size()) {
                        return false;
                    }
                    chunk = chunks[next++];
                    return true;
                },
                store_at_bob ? bob_arrivals : secure_arrivals, [] { return false; });
            return;
        }
        case fuzzing::fetch:
        case fuzzing::erase:
        case fuzzing::copy: {
            fedpp::wire::ObjectRequest message;
            if (!parse(message, data, size)) {
                return;
            }
            if (kind % fuzzing::kinds == fuzzing::fetch) {
                (void)d::fetch(host, peer, message);
                // It left: it must have been a scalar, or an aggregate made at the aggregator.
                const bool aggregate = message.type().rfind("fedpp::Aggregate<", 0) == 0;
                if (!is_scalar(message.type()) && !(aggregate && !at_bob)) {
                    finding();
                }
            } else if (kind % fuzzing::kinds == fuzzing::erase) {
                d::erase(host, peer, message);
            } else { // (every seventh number: its requester gave up waiting)
                (void)d::copy(host, peer, message, at_bob ? bob_arrivals : secure_arrivals,
                              [&] { return message.transfer() % 7 == 3; });
            }
            return;
        }
        case fuzzing::forward: {
            fedpp::wire::ForwardRequest message;
            if (!parse(message, data, size)) {
                return;
            }
            const auto withdraw = [this](const std::string& destination, std::uint64_t transfer) {
                return withdraw_at(destination, transfer);
            };
            if (at_bob) {
                (void)d::forward(host, peer, message, bob_departures, ++transfers,
                                 [this](const std::string& destination, const std::string& type,
                                        const fedpp::Bytes& bytes, const std::string& requester,
                                        std::uint64_t transfer) {
                                     return store_at(destination, type, bytes, requester, transfer);
                                 },
                                 withdraw);
            } else { // the aggregator moves on only what it may release
                (void)d::forward(
                    host, peer, message, secure_departures, ++transfers,
                    [](const std::string&, const std::string& type, const fedpp::Bytes&, const std::string&,
                       std::uint64_t) {
                        if (!is_scalar(type) && type.rfind("fedpp::Aggregate<", 0) != 0) {
                            finding();
                        }
                        return fedpp::ObjectId{1};
                    },
                    withdraw);
            }
            return;
        }
        case fuzzing::execute: {
            fedpp::wire::ExecuteRequest message;
            if (parse(message, data, size)) {
                const auto gave_up = [&] { return message.transfer() % 7 == 3; };
                (void)d::execute(host, peer, message, at_bob ? bob_arrivals : secure_arrivals, gave_up, gave_up);
            }
            return;
        }
        case fuzzing::find: {
            fedpp::wire::FindRequest message;
            if (parse(message, data, size)) {
                (void)d::find(host, peer, message);
            }
            return;
        }
        case fuzzing::withdraw: {
            fedpp::wire::TransferRequest message;
            if (parse(message, data, size)) {
                (void)d::withdraw(host, peer, message, at_bob ? bob_arrivals : secure_arrivals);
            }
            return;
        }
        case fuzzing::forwarded: {
            fedpp::wire::TransferRequest message;
            if (parse(message, data, size)) { // (moves here end before the next request: none waits)
                (void)d::forwarded(host, peer, message, at_bob ? bob_departures : secure_departures,
                                   std::chrono::steady_clock::now(), [] { return true; });
            }
            return;
        }
        default: (void)host.list(peer); return;
        }
    }
};

} // namespace

// FEDPP_FUZZ_WRITE_SEEDS=dir: writes the seed corpus into dir and exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // protobuf logs every string that is not UTF-8 (the parse fails, as at
    // the server): quiet, so that the fuzzer's output is its own.
    google::protobuf::SetLogHandler(nullptr);
    if (const char* dir = std::getenv("FEDPP_FUZZ_WRITE_SEEDS")) {
        fuzzing::seeds::write_party_seeds(dir);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Run run;
    std::size_t at = 0;
    while (size - at >= 4) {
        const std::uint8_t kind = data[at];
        const std::uint8_t who = data[at + 1];
        const std::size_t announced = data[at + 2] | (std::size_t{data[at + 3]} << 8);
        const std::size_t length = std::min(announced, size - at - 4);
        try {
            run.apply(kind, who, data + at + 4, length);
        } catch (const fedpp::Error& e) { // a refusal, or a malformed request: the server answers with a status
#ifdef FEDPP_FUZZ_TRACE // what an input does, request by request
            std::fprintf(stderr, "request at byte %zu (kind %d): %s\n", at, kind % fuzzing::kinds, e.what());
#else
            (void)e;
#endif
            if (kind % fuzzing::kinds <= fuzzing::end_of_store) {
                run.store.reset(); // the stream ends with the error
            }
        }
        at += 4 + length;
    }
    // Bob's published data are still there, and still his.
    if (!run.parties.bob.find("me#s1", "toy.data", fuzzing::type_of<fuzzing::Data>())) {
        finding();
    }
    return 0;
}
