// fedpp secure aggregation: who masks with whom (SecAgg+, Bell et al.,
// "Secure Single-Server Aggregation with (Poly)Logarithmic Overhead", CCS
// 2020).
//
// In the protocol of Bonawitz et al. every client masks with every other
// (the complete graph), so recovering one dropped client costs the server
// n - 1 mask expansions. SecAgg+ masks, and shares secrets, only between
// neighbours in a sparse random graph of degree k = O(log n). The graph
// here is a random Harary graph: the clients are put on a ring in a random
// order, and each is joined to the k / 2 nearest on either side. It is
// k-regular and k-connected, so cutting the surviving clients into groups
// takes the loss of k / 2 consecutive clients of the (secret) ring order in
// two places; the server checks that the survivors are connected before it
// asks for any share (disconnected survivors would let it learn partial
// sums).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"
#include "fedpp/secure_aggregation/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace fedpp::secagg {

class NeighbourGraph {
public:
    /// Every client is a neighbour of every other: the protocol of Bonawitz et al.
    static NeighbourGraph complete(std::uint32_t clients) {
        check_clients(clients);
        NeighbourGraph graph(clients);
        for (ClientId u = 0; u < clients; ++u) {
            for (ClientId v = 0; v < clients; ++v) {
                if (u != v) {
                    graph.neighbours_[u].push_back(v);
                }
            }
        }
        return graph;
    }

    /// A random Harary graph of even degree k (2 <= k); the complete graph
    /// when k >= clients - 1. The ring order is drawn from `random`.
    static NeighbourGraph random_harary(std::uint32_t clients, std::uint32_t degree, RandomSource& random) {
        check_clients(clients);
        if (degree >= clients - 1) {
            return complete(clients);
        }
        if (degree < 2 || degree % 2 != 0) {
            throw ArgumentError("NeighbourGraph: the degree of a sparse graph must be even and at least 2, not " +
                                std::to_string(degree));
        }
        const std::vector<ClientId> ring = random_permutation(clients, random);
        NeighbourGraph graph(clients);
        for (std::uint32_t position = 0; position < clients; ++position) {
            auto& list = graph.neighbours_[ring[position]];
            for (std::uint32_t step = 1; step <= degree / 2; ++step) {
                list.push_back(ring[(position + step) % clients]);
                list.push_back(ring[(position + clients - step) % clients]);
            }
            std::sort(list.begin(), list.end());
        }
        return graph;
    }

    [[nodiscard]] std::uint32_t clients() const noexcept { return static_cast<std::uint32_t>(neighbours_.size()); }

    /// The neighbours of `client`, sorted, without `client` itself.
    [[nodiscard]] std::span<const ClientId> neighbours(ClientId client) const { return neighbours_.at(client); }

    /// The largest number of neighbours of any client.
    [[nodiscard]] std::uint32_t degree() const noexcept {
        std::size_t most = 0;
        for (const auto& list : neighbours_) {
            most = std::max(most, list.size());
        }
        return static_cast<std::uint32_t>(most);
    }

    [[nodiscard]] bool adjacent(ClientId u, ClientId v) const {
        const auto list = neighbours(u);
        return std::binary_search(list.begin(), list.end(), v);
    }

    /// Whether the clients marked in `members` (indexed by id) form one
    /// connected group through edges between members. True for no members.
    [[nodiscard]] bool connected(const std::vector<bool>& members) const {
        const auto first = std::find(members.begin(), members.end(), true);
        if (first == members.end()) {
            return true;
        }
        std::vector<bool> reached(members.size(), false);
        std::vector<ClientId> frontier{static_cast<ClientId>(first - members.begin())};
        reached[frontier[0]] = true;
        std::size_t count = 1;
        while (!frontier.empty()) {
            const ClientId u = frontier.back();
            frontier.pop_back();
            for (const ClientId v : neighbours(u)) {
                if (members[v] && !reached[v]) {
                    reached[v] = true;
                    ++count;
                    frontier.push_back(v);
                }
            }
        }
        return count == static_cast<std::size_t>(std::count(members.begin(), members.end(), true));
    }

    /// The least degree fedpp accepts for a sparse graph of `clients`:
    /// 4 ceil(log2 n) (28 at n = 100, 40 at n = 1,000), or n - 1 (the
    /// complete graph) if that is less. A floor, not a proof: Bell et al.
    /// need k = O(log n), its constant set by the fraction of corrupt
    /// clients tolerated and the security parameter; below it, a client's
    /// k / 2 + 1 colluding neighbours, rather than half of all clients, would
    /// unmask it.
    static std::uint32_t minimum_degree(std::uint32_t clients) noexcept {
        std::uint32_t bits = 0;
        while (bits < 32 && (std::uint64_t{1} << bits) < clients) {
            ++bits;
        }
        return std::min(clients == 0 ? 0 : clients - 1, 4 * bits);
    }

    /// The smallest even degree k (with the majority threshold k / 2 + 1)
    /// for which, if each client drops out independently with probability
    /// `dropout_rate`, the chance that some client is left with fewer than
    /// t answering neighbours is at most `failure_probability` (union
    /// bound over the clients); clients - 1 (the complete graph) if no
    /// smaller degree will do. This is about robustness only: the security
    /// of a sparse graph also needs k = O(log n) large enough that no
    /// client's neighbourhood is mostly corrupt (Bell et al.), and fedpp's
    /// secure rounds refuse degrees below minimum_degree(clients).
    static std::uint32_t degree_for(std::uint32_t clients, double dropout_rate, double failure_probability) {
        check_clients(clients);
        for (std::uint32_t k = 2; k < clients - 1; k += 2) {
            if (static_cast<double>(clients) * binomial_below(k, 1 - dropout_rate, k / 2 + 1) <= failure_probability) {
                return k;
            }
        }
        return clients - 1;
    }

private:
    explicit NeighbourGraph(std::uint32_t clients) : neighbours_(clients) {}

    /// P(Binomial(trials, p) < count), summed in log space.
    static double binomial_below(std::uint32_t trials, double p, std::uint32_t count) {
        if (p <= 0) {
            return 1;
        }
        if (p >= 1) {
            return 0;
        }
        double sum = 0;
        for (std::uint32_t i = 0; i < count && i <= trials; ++i) {
            const double log_term = std::lgamma(trials + 1.0) - std::lgamma(i + 1.0) - std::lgamma(trials - i + 1.0) +
                                    i * std::log(p) + (trials - i) * std::log1p(-p);
            sum += std::exp(log_term);
        }
        return sum;
    }

    static void check_clients(std::uint32_t clients) {
        if (clients < 2) {
            throw ArgumentError("NeighbourGraph: secure aggregation needs at least 2 clients, not " +
                                std::to_string(clients));
        }
    }

    /// Fisher-Yates with unbiased draws (rejection of the incomplete last block).
    static std::vector<ClientId> random_permutation(std::uint32_t count, RandomSource& random) {
        std::vector<ClientId> order(count);
        std::iota(order.begin(), order.end(), ClientId{0});
        for (std::uint32_t i = count - 1; i > 0; --i) {
            const std::uint64_t bound = std::uint64_t{i} + 1;
            const std::uint64_t limit = (std::uint64_t{1} << 32) / bound * bound;
            std::uint64_t draw = limit;
            while (draw >= limit) {
                std::uint32_t word = 0;
                random.fill(std::span(reinterpret_cast<std::uint8_t*>(&word), sizeof word));
                draw = word;
            }
            std::swap(order[i], order[static_cast<std::size_t>(draw % bound)]);
        }
        return order;
    }

    std::vector<std::vector<ClientId>> neighbours_;
};

} // namespace fedpp::secagg
