// fedpp secure aggregation: the server's side of the protocol, as an
// explicit state machine with no threads, sockets or clocks.
//
//     secagg::Server server(config, graph);
//     // for each round: deliver what arrives before the round's deadline ...
//     server.receive(sender, message);           // sender: authenticated by the transport
//     // ... then close the round and send what it returns
//     for (auto& [to, message] : server.close_round()) send(to, message);
//     // after the unmasking round closes:
//     const secagg::AggregateSum& sum = server.result();  // or SecureAggregationError
//
// A client that does not answer a round before it is closed has dropped
// out. A message that breaks the protocol (wrong round, wrong shape, sent
// twice, an Abort) is ignored and its sender takes no further part; it is
// listed in rejected(). A client whose masked input is already in the sum
// stays in it (the sum cannot be undone): its masks are removed with shares
// from its neighbours. When fewer clients than Config::minimum_clients()
// remain at any stage, or too few shares arrive, or the survivors of a
// sparse graph are not connected, the server aborts: result() throws
// SecureAggregationError with the reason and the sum stays masked.
#pragma once

#include "fedpp/secure_aggregation/config.hpp"
#include "fedpp/secure_aggregation/detail/server_rounds.hpp"
#include "fedpp/secure_aggregation/detail/unmasking.hpp"
#include "fedpp/secure_aggregation/errors.hpp"
#include "fedpp/secure_aggregation/graph.hpp"
#include "fedpp/secure_aggregation/messages.hpp"

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fedpp::secagg {

enum class ServerRound { advertise_keys, share_keys, masked_input, unmasking, completed, aborted };

class Server {
public:
    /// ArgumentError if the config is invalid or the graph does not fit it
    /// (another number of clients, or a degree above config.degree).
    Server(Config config, NeighbourGraph graph) : config_(config), graph_(std::move(graph)) {
        config_.validate();
        if (graph_.clients() != config_.clients || graph_.degree() > config_.degree) {
            throw ArgumentError("secagg::Server: the graph has " + std::to_string(graph_.clients()) +
                                " clients and degree " + std::to_string(graph_.degree()) + "; the config says " +
                                std::to_string(config_.clients) + " and " + std::to_string(config_.degree));
        }
        banned_.assign(config_.clients, false);
        state_.emplace<Keys>(Keys{std::vector<std::optional<AdvertiseKeys>>(config_.clients)});
    }

    [[nodiscard]] const Config& config() const noexcept { return config_; }
    [[nodiscard]] const NeighbourGraph& graph() const noexcept { return graph_; }
    [[nodiscard]] ServerRound round() const noexcept { return static_cast<ServerRound>(state_.index()); }
    [[nodiscard]] bool finished() const noexcept {
        return round() == ServerRound::completed || round() == ServerRound::aborted;
    }

    /// Clients whose messages broke the protocol, and why.
    [[nodiscard]] const std::vector<std::pair<ClientId, std::string>>& rejected() const noexcept { return rejected_; }

    /// A message from client `from` (as authenticated by the transport).
    /// Never throws for a bad message: see the class comment.
    void receive(ClientId from, const ClientMessage& message) {
        if (from >= config_.clients || finished() || banned_[from]) {
            return;
        }
        try {
            std::visit([&](const auto& m) { accept(from, m); }, message);
        } catch (const SecureAggregationError& e) {
            reject(from, e.what());
        }
    }

    /// Closes the current round: whoever has not answered has dropped out.
    /// Returns the messages of the next round (Abort to every remaining
    /// client if the session fails here; nothing once it is finished).
    std::vector<Addressed<ServerMessage>> close_round() {
        using namespace detail::secagg;
        try {
            if (auto* keys = std::get_if<Keys>(&state_)) {
                return advance<Shares>(close(config_, graph_, *keys));
            }
            if (auto* shares = std::get_if<Shares>(&state_)) {
                return advance<Inputs>(close(config_, *shares));
            }
            if (auto* inputs = std::get_if<Inputs>(&state_)) {
                return advance<Unmasking>(close(config_, graph_, *inputs, banned_));
            }
            if (auto* unmasking = std::get_if<Unmasking>(&state_)) {
                AggregateSum sum = unmask_sum(config_, graph_, *unmasking);
                state_.emplace<AggregateSum>(std::move(sum));
            }
            return {};
        } catch (const SecureAggregationError& e) {
            return abort_with(e);
        }
    }

    /// The unmasked sum. SecureAggregationError (with its Failure) if the
    /// session aborted, or protocol_violation if it has not finished.
    [[nodiscard]] const AggregateSum& result() const {
        if (const auto* sum = std::get_if<AggregateSum>(&state_)) {
            return *sum;
        }
        if (const auto* failed = std::get_if<SecureAggregationError>(&state_)) {
            throw *failed;
        }
        throw SecureAggregationError(Failure::protocol_violation, "the session has not finished");
    }

private:
    using Keys = detail::secagg::CollectingKeys;
    using Shares = detail::secagg::CollectingShares;
    using Inputs = detail::secagg::CollectingInputs;
    using Unmasking = detail::secagg::CollectingUnmasking;
    // In the order of ServerRound.
    using State = std::variant<Keys, Shares, Inputs, Unmasking, AggregateSum, SecureAggregationError>;

    template <class Next>
    std::vector<Addressed<ServerMessage>> advance(std::pair<Next, std::vector<Addressed<ServerMessage>>> step) {
        state_.emplace<Next>(std::move(step.first));
        return std::move(step.second);
    }

    template <class Message>
    void accept(ClientId from, const Message& message) {
        using namespace detail::secagg;
        if constexpr (std::is_same_v<Message, AdvertiseKeys>) {
            detail::secagg::accept(expect<Keys>(), from, message);
        } else if constexpr (std::is_same_v<Message, ShareKeysResponse>) {
            auto& round = expect<Shares>();
            require_member(round.roster.in_u1(from));
            detail::secagg::accept(graph_, round, from, message);
        } else if constexpr (std::is_same_v<Message, MaskedInput>) {
            auto& round = expect<Inputs>();
            require_member(round.roster.u2[from]);
            detail::secagg::accept(config_, round, from, message);
        } else if constexpr (std::is_same_v<Message, UnmaskingResponse>) {
            auto& round = expect<Unmasking>();
            require_member(round.roster.u3[from]);
            detail::secagg::accept(graph_, round, from, message);
        } else {
            detail::secagg::violation("the client aborted: " + message.reason);
        }
    }

    template <class Round>
    Round& expect() {
        if (auto* round = std::get_if<Round>(&state_)) {
            return *round;
        }
        detail::secagg::violation("a message that does not belong to round " + std::to_string(state_.index()));
    }

    static void require_member(bool member) {
        if (!member) {
            detail::secagg::violation("a message from a client that is no longer part of the session");
        }
    }

    /// The client takes no further part; what it contributed to this round
    /// is withdrawn where that is still possible (see the class comment).
    void reject(ClientId from, std::string reason) {
        banned_[from] = true;
        rejected_.emplace_back(from, std::move(reason));
        if (auto* keys = std::get_if<Keys>(&state_)) {
            keys->keys[from].reset();
        } else if (auto* shares = std::get_if<Shares>(&state_)) {
            shares->responded[from] = false;
        }
    }

    std::vector<Addressed<ServerMessage>> abort_with(const SecureAggregationError& error) {
        std::vector<Addressed<ServerMessage>> out;
        for (ClientId c = 0; c < config_.clients; ++c) {
            if (!banned_[c] && still_in(c)) {
                auto& message = out.emplace_back(); // (in place: GCC 12 misreads a moved variant as uninitialised)
                message.to = c;
                message.message.emplace<Abort>(Abort{error.what()});
            }
        }
        state_.emplace<SecureAggregationError>(error);
        return out;
    }

    /// Whether client c answered every round so far (it is owed an Abort).
    [[nodiscard]] bool still_in(ClientId c) const {
        if (const auto* keys = std::get_if<Keys>(&state_)) {
            return keys->keys[c].has_value();
        }
        if (const auto* shares = std::get_if<Shares>(&state_)) {
            return shares->roster.in_u1(c);
        }
        if (const auto* inputs = std::get_if<Inputs>(&state_)) {
            return inputs->roster.u2[c];
        }
        if (const auto* unmasking = std::get_if<Unmasking>(&state_)) {
            return unmasking->roster.u3[c];
        }
        return false;
    }

    Config config_;
    NeighbourGraph graph_;
    State state_;
    std::vector<bool> banned_;
    std::vector<std::pair<ClientId, std::string>> rejected_;
};

} // namespace fedpp::secagg
