// libFuzzer target: secure aggregation messages from outside. The first
// byte picks what is fuzzed; the rest is an encoded message:
//   0, 1     the decoders of ClientMessage and ServerMessage alone;
//   2, 3, 4  a ServerMessage handed to a client in round 1, 2 or 3 of a real
//            session (secure_aggregation_session.hpp) in place of the server's;
//   5 .. 8   a ClientMessage handed to the server in round 0 .. 3 in place of
//            client 0's answer, after which the round is closed.
// Decoders must reject malformed bytes with a fedpp::Error; the state
// machines must turn any decoded message into an Abort or a rejection,
// never a crash, and an honest client must never reveal a share of the
// same peer twice.
#include "secure_aggregation_session.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

void fuzz_client(int round, std::span<const std::byte> bytes) {
    const auto message = fedpp::from_bytes<fedpp::secagg::ServerMessage>(bytes, "fuzz");
    fuzzing::SecureAggregationSession session(round);
    const auto reply = session.clients[0].handle(message);
    if (reply && std::holds_alternative<fedpp::secagg::UnmaskingResponse>(*reply)) {
        // Answered: then it must have been asked for each peer once, one kind only.
        const auto& shares = std::get<fedpp::secagg::UnmaskingResponse>(*reply).shares;
        for (std::size_t i = 0; i < shares.size(); ++i) {
            for (std::size_t j = i + 1; j < shares.size(); ++j) {
                if (shares[i].owner == shares[j].owner) {
                    std::abort();
                }
            }
        }
    }
}

void fuzz_server(int round, std::span<const std::byte> bytes) {
    const auto message = fedpp::from_bytes<fedpp::secagg::ClientMessage>(bytes, "fuzz");
    fuzzing::SecureAggregationSession session(round);
    session.server.receive(0, message);
    (void)session.server.close_round();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto bytes = std::as_bytes(std::span(data + 1, size - 1));
    try {
        const int selector = data[0] % 9;
        if (selector == 0) {
            (void)fedpp::from_bytes<fedpp::secagg::ClientMessage>(bytes, "fuzz");
        } else if (selector == 1) {
            (void)fedpp::from_bytes<fedpp::secagg::ServerMessage>(bytes, "fuzz");
        } else if (selector <= 4) {
            fuzz_client(selector - 1, bytes);
        } else {
            fuzz_server(selector - 5, bytes);
        }
    } catch (const fedpp::Error&) {
    }
    return 0;
}
