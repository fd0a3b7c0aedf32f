// fedpp secure aggregation: one session run in this process, every client
// and the server in turn, for tests, simulations and benchmarks.
//
// Every message is encoded to bytes on one side and decoded on the other,
// as it will be through fedpp's seam, so the byte counts are what a network
// would carry. `drop_round[c]` is the first round client c does not answer
// (0: it never advertises keys; 1: it advertises but sends no shares; 2: it
// sends no masked input; 3: it sends no unmasking response; 4 or more: it
// never drops out). A client's input is asked of `input_of` only when its
// masked-input round comes, so a simulation holds one input at a time.
#pragma once

#include "fedpp/base/function_ref.hpp"
#include "fedpp/secure_aggregation/client.hpp"
#include "fedpp/secure_aggregation/message_codecs.hpp"
#include "fedpp/secure_aggregation/server.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fedpp::secagg {

struct LocalSessionOptions {
    /// Per client: the first round it does not answer (empty: nobody drops out).
    std::vector<int> drop_round;
    /// Keep the bytes of every message the server receives (server_view).
    bool record_server_view = false;
};

struct LocalSessionReport {
    std::optional<AggregateSum> sum;
    std::optional<SecureAggregationError> error;
    /// Bytes each client sent and received (encoded messages).
    std::vector<std::size_t> bytes_sent;
    std::vector<std::size_t> bytes_received;
    /// Time spent in each client's code (its protocol steps and codecs), and in the server's.
    std::vector<double> client_seconds;
    double server_seconds = 0;
    /// With record_server_view: every message the server received, in order.
    std::vector<std::pair<ClientId, Bytes>> server_view;
    /// Why clients aborted, where they did.
    std::vector<std::pair<ClientId, std::string>> client_aborts;
    /// Clients whose messages the server rejected.
    std::vector<std::pair<ClientId, std::string>> rejected;
};

namespace detail::secagg {

class Stopwatch {
public:
    explicit Stopwatch(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
    ~Stopwatch() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
    Stopwatch(const Stopwatch&) = delete;
    Stopwatch& operator=(const Stopwatch&) = delete;

private:
    double& total_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace detail::secagg

class LocalSession {
public:
    using InputSource = std::function<std::vector<std::uint32_t>(ClientId)>;
    using RandomFactory = std::function<std::unique_ptr<RandomSource>(ClientId)>;

    /// `randomness(c)` is client c's source of secrets.
    LocalSession(Config config, NeighbourGraph graph, RandomFactory randomness)
        : server_(config, std::move(graph)) {
        for (ClientId c = 0; c < config.clients; ++c) {
            randomness_.push_back(randomness(c));
            clients_.emplace_back(config, c, *randomness_.back());
        }
    }

    LocalSessionReport run(const InputSource& input_of, const LocalSessionOptions& options = {}) {
        const std::size_t n = clients_.size();
        report_ = LocalSessionReport{};
        report_.bytes_sent.assign(n, 0);
        report_.bytes_received.assign(n, 0);
        report_.client_seconds.assign(n, 0);
        options_ = &options;
        for (ClientId c = 0; c < n; ++c) {
            if (answers(c, 0)) {
                const Bytes bytes = timed(c, [&] { return to_bytes(clients_[c].start()); });
                to_server(c, bytes);
            }
        }
        for (int round = 1; !server_.finished(); ++round) {
            std::vector<Addressed<ServerMessage>> out;
            {
                detail::secagg::Stopwatch watch(report_.server_seconds);
                out = server_.close_round();
            }
            for (auto& [to, message] : out) {
                deliver(to, message, round, input_of);
            }
        }
        finish();
        return std::move(report_);
    }

    [[nodiscard]] const Server& server() const noexcept { return server_; }
    [[nodiscard]] const Client& client(ClientId c) const { return clients_.at(c); }

private:
    [[nodiscard]] bool answers(ClientId c, int round) const {
        return options_->drop_round.empty() || options_->drop_round.at(c) > round;
    }

    template <class F>
    std::invoke_result_t<F> timed(ClientId c, F f) {
        detail::secagg::Stopwatch watch(report_.client_seconds[c]);
        return f();
    }

    void to_server(ClientId from, const Bytes& bytes) {
        report_.bytes_sent[from] += bytes.size();
        if (options_->record_server_view) {
            report_.server_view.emplace_back(from, bytes);
        }
        detail::secagg::Stopwatch watch(report_.server_seconds);
        // Named lazily: a literal this long would be a heap allocation per message.
        const auto what = [] { return std::string("a message to the server"); };
        server_.receive(from, from_bytes<ClientMessage>(bytes, fedpp::detail::LazyText(what)));
    }

    void deliver(ClientId to, const ServerMessage& message, int round, const InputSource& input_of) {
        Bytes bytes;
        {
            detail::secagg::Stopwatch watch(report_.server_seconds);
            bytes = to_bytes(message);
        }
        if (!answers(to, round)) {
            return; // it has dropped out: the message is lost
        }
        report_.bytes_received[to] += bytes.size();
        if (std::holds_alternative<MaskedInputRequest>(message) && !clients_[to].finished()) {
            auto input = input_of(to);
            timed(to, [&] { clients_[to].set_input(std::move(input)); });
        }
        const auto reply = timed(to, [&]() -> std::optional<Bytes> {
            const auto what = [] { return std::string("a message to a client"); };
            auto answer = clients_[to].handle(from_bytes<ServerMessage>(bytes, fedpp::detail::LazyText(what)));
            return answer ? std::optional<Bytes>(to_bytes(*answer)) : std::nullopt;
        });
        if (reply) {
            to_server(to, *reply);
        }
    }

    void finish() {
        try {
            report_.sum = server_.result();
        } catch (const SecureAggregationError& e) {
            report_.error = e;
        }
        for (const auto& client : clients_) {
            if (client.round() == ClientRound::aborted) {
                report_.client_aborts.emplace_back(client.id(), client.abort_reason());
            }
        }
        report_.rejected = server_.rejected();
    }

    Server server_;
    std::vector<std::unique_ptr<RandomSource>> randomness_;
    std::vector<Client> clients_;
    const LocalSessionOptions* options_ = nullptr;
    LocalSessionReport report_;
};

} // namespace fedpp::secagg
