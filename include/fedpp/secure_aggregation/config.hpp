// fedpp secure aggregation: the parameters of one session, agreed by the
// server and every client before it starts.
//
// Threshold. Each client's two secrets (its masking key and its self-mask
// seed) are Shamir-shared among its holders: its neighbours and itself.
// `threshold` (t) shares rebuild a secret. The server can therefore finish
// as long as, for every client whose secret it needs, t of that client's
// holders answer the last round; with the complete graph (the protocol of
// Bonawitz et al.) that is: up to n - t clients may drop out, at any stage.
//
// t must be a strict majority of every client's holders (2t > k + 1). An
// honest client reveals, for each peer, either the peer's self-mask share
// or its masking-key share, never both. So a server that asks for both of
// one client v's secrets needs t shares of each, from two groups of v's
// holders that may overlap only in holders who reveal both, that is, who
// collude with it: at least 2t - (k + 1) of them.
//
// That does not stop an actively malicious server, which needs only v's
// self-mask seed and the masking keys of v's neighbours: it can give v a
// neighbour list of just t - 1 peers (a client takes any list of at least
// t - 1, as dropouts would leave it), tell the others that each of those
// peers dropped out, and so collect t shares of v's seed and of each
// peer's key, with no colluder and every client's checks passed. Ruling
// that out takes Bonawitz et al.'s consistency round and keys the clients
// authenticate to each other, neither of which is implemented: the server
// is assumed honest but curious (fedpp/secure_aggregation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fedpp::secagg {

struct Config {
    /// n: the clients invited, with ids 0 .. n - 1.
    std::uint32_t clients = 0;
    /// k: the number of neighbours of each client; clients - 1 for the
    /// complete graph. Must match the server's NeighbourGraph.
    std::uint32_t degree = 0;
    /// t: the shares that rebuild a secret; 2t > k + 1, t <= k + 1.
    std::uint32_t threshold = 0;
    /// The fewest clients whose inputs the server may unmask the sum of; the
    /// server aborts as soon as fewer remain. At least t (0: t).
    std::uint32_t min_clients = 0;
    /// The 32-bit words of each input (FixedPointEncoding::words_for).
    std::size_t vector_length = 0;
    /// Fresh for each session; see SessionId.
    SessionId session_id{};

    /// The most clients x (degree + 1) a session may have (the complete graph
    /// of 4,096 clients): the neighbour lists every party keeps.
    static constexpr std::uint64_t max_neighbour_entries = std::uint64_t{1} << 24;

    /// The number of holders of each client's shares (itself included).
    [[nodiscard]] std::uint32_t holders() const noexcept { return degree + 1; }

    /// min_clients, or t if it is 0.
    [[nodiscard]] std::uint32_t minimum_clients() const noexcept {
        return min_clients == 0 ? threshold : min_clients;
    }

    /// ArgumentError unless the parameters are consistent.
    void validate() const {
        auto fail = [](const std::string& message) { throw ArgumentError("secure aggregation config: " + message); };
        if (clients < 2) {
            fail("at least 2 clients are needed, not " + std::to_string(clients));
        }
        if (degree < 1 || degree > clients - 1) {
            fail("the degree must be between 1 and clients - 1 = " + std::to_string(clients - 1) + ", not " +
                 std::to_string(degree));
        }
        if (threshold > holders() || 2 * std::uint64_t{threshold} <= holders()) {
            fail("the threshold " + std::to_string(threshold) + " must be a strict majority of the " +
                 std::to_string(holders()) + " holders of each client's shares (degree + 1)");
        }
        if (min_clients != 0 && (min_clients < threshold || min_clients > clients)) {
            fail("min_clients must be between the threshold and the number of clients");
        }
        if (std::uint64_t{clients} * holders() > max_neighbour_entries) {
            fail("at most " + std::to_string(max_neighbour_entries) + " neighbour entries (clients x (degree + 1)) "
                 "in a session, not " + std::to_string(std::uint64_t{clients} * holders()) +
                 ": use a sparse graph, or fewer clients");
        }
        if (vector_length == 0 || vector_length > (std::size_t{1} << 32)) {
            fail("the vector length must be between 1 and 2^32 words");
        }
    }
};

/// The smallest strict majority of the k + 1 holders, floor((k + 1) / 2) + 1:
/// the threshold that tolerates the most dropouts.
inline std::uint32_t majority_threshold(std::uint32_t degree) noexcept { return (degree + 1) / 2 + 1; }

} // namespace fedpp::secagg
