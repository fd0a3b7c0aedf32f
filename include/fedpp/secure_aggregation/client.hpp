// fedpp secure aggregation: one client's side of the protocol, as an
// explicit state machine with no threads, sockets or clocks.
//
//     secagg::Client client(config, my_id, random);
//     send(client.start());                       // AdvertiseKeys
//     client.set_input(encoding.encode(values, weight));
//     while (auto message = receive()) {          // ServerMessage from the server
//         if (auto reply = client.handle(*message)) send(*reply);
//         if (client.finished()) break;
//     }
//
// Rounds: advertise_keys -> share_keys -> masked_input -> unmasking ->
// completed, or aborted from any of them. A message that does not belong to
// the current round, or breaks the protocol in any way, aborts the client:
// its secrets are erased and its reply is an Abort saying why, so it
// reveals nothing more. In particular it never reveals both shares it holds
// of one peer (the self-mask seed and the masking key): the attack double
// masking exists to stop, refused in the unmasking round and impossible
// after it, when nothing is left to reveal.
#pragma once

#include "fedpp/secure_aggregation/config.hpp"
#include "fedpp/secure_aggregation/detail/client_rounds.hpp"
#include "fedpp/secure_aggregation/errors.hpp"
#include "fedpp/secure_aggregation/messages.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fedpp::secagg {

enum class ClientRound { advertise_keys, share_keys, masked_input, unmasking, completed, aborted };

class Client {
public:
    /// `random` supplies every secret (OsRandom in a real session) and must
    /// outlive the client. ArgumentError if the config is invalid or `id` is
    /// not one of its clients.
    Client(Config config, ClientId id, RandomSource& random) : config_(config), id_(id), random_(&random) {
        config_.validate();
        if (id >= config_.clients) {
            throw ArgumentError("secagg::Client: id " + std::to_string(id) + " of " +
                                std::to_string(config_.clients) + " clients");
        }
    }

    [[nodiscard]] ClientId id() const noexcept { return id_; }
    [[nodiscard]] const Config& config() const noexcept { return config_; }
    [[nodiscard]] ClientRound round() const noexcept { return static_cast<ClientRound>(state_.index()); }
    [[nodiscard]] bool finished() const noexcept {
        return round() == ClientRound::completed || round() == ClientRound::aborted;
    }
    /// Why the client aborted (empty otherwise).
    [[nodiscard]] const std::string& abort_reason() const noexcept { return abort_reason_; }

    /// The encoded update (config().vector_length words), any time before
    /// the masked-input round. ShapeError for another length.
    void set_input(std::vector<std::uint32_t> words) {
        if (words.size() != config_.vector_length) {
            throw ShapeError("secagg::Client::set_input: " + std::to_string(words.size()) + " words, the session has " +
                             std::to_string(config_.vector_length));
        }
        if (round() != ClientRound::advertise_keys && round() != ClientRound::share_keys &&
            round() != ClientRound::masked_input) {
            throw SecureAggregationError(Failure::protocol_violation, "the input was set after it was masked");
        }
        input_ = std::move(words);
    }

    /// Round 0: fresh key pairs, and the message advertising them.
    /// SecureAggregationError if the client has already started.
    ClientMessage start() {
        if (round() != ClientRound::advertise_keys) {
            throw SecureAggregationError(Failure::protocol_violation, "secagg::Client::start called twice");
        }
        detail::secagg::ClientKeysAdvertised keys{X25519KeyPair::generate(*random_),
                                                  X25519KeyPair::generate(*random_)};
        AdvertiseKeys message{keys.encryption.public_key(), keys.masking.public_key()};
        state_.emplace<Keys>(std::move(keys));
        return message;
    }

    /// The reply to a message from the server, if any: the next round's
    /// message, or an Abort if `message` breaks the protocol. Nothing after
    /// the server's own Abort.
    std::optional<ClientMessage> handle(const ServerMessage& message) {
        const auto* abort = std::get_if<Abort>(&message);
        if (finished()) {
            if (abort != nullptr) {
                return std::nullopt;
            }
            return Abort{std::string("this client has ") + (round() == ClientRound::completed ? "completed" : "aborted") +
                         " and reveals nothing more"};
        }
        if (abort != nullptr) {
            abort_with("the server aborted: " + abort->reason);
            return std::nullopt;
        }
        try {
            return std::visit([&](const auto& m) { return ClientMessage(step(m)); }, message);
        } catch (const Error& e) { // SecureAggregationError, CryptoError (a low-order key), ArgumentError
            abort_with(e.what());
            return Abort{abort_reason_};
        }
    }

private:
    using Keys = detail::secagg::ClientKeysAdvertised;
    using SharesSent = detail::secagg::ClientSharesSent;
    using InputSent = detail::secagg::ClientInputSent;
    struct Start {};
    struct Completed {};
    struct Aborted {};
    // In the order of ClientRound.
    using State = std::variant<Start, Keys, SharesSent, InputSent, Completed, Aborted>;

    template <class Expected>
    Expected& expect(const char* message_name) {
        if (auto* state = std::get_if<Expected>(&state_)) {
            return *state;
        }
        detail::secagg::violation(std::string("a ") + message_name + " arrived in round " +
                                  std::to_string(state_.index()) + ", where it does not belong");
    }

    ShareKeysResponse step(const ShareKeysRequest& request) {
        auto [next, response] = detail::secagg::share_keys(config_, id_, expect<Keys>("ShareKeysRequest"), request,
                                                           *random_);
        state_.emplace<SharesSent>(std::move(next));
        return std::move(response);
    }

    MaskedInput step(const MaskedInputRequest& request) {
        auto& state = expect<SharesSent>("MaskedInputRequest");
        if (!input_) {
            detail::secagg::violation("the masked-input round began before the client's input was set");
        }
        auto [next, masked] = detail::secagg::mask_input(config_, id_, state, request, std::move(*input_));
        input_.reset();
        state_.emplace<InputSent>(std::move(next));
        return std::move(masked);
    }

    UnmaskingResponse step(const UnmaskingRequest& request) {
        auto response = detail::secagg::unmask(config_, id_, expect<InputSent>("UnmaskingRequest"), request);
        state_.emplace<Completed>(); // the shares held are erased: nothing more can be revealed
        return response;
    }

    // Handled before the visit; never reached.
    static Abort step(const Abort& abort) { return abort; }

    void abort_with(std::string reason) {
        abort_reason_ = std::move(reason);
        input_.reset();
        state_.emplace<Aborted>(); // erases every secret
    }

    Config config_;
    ClientId id_;
    RandomSource* random_;
    State state_;
    std::optional<std::vector<std::uint32_t>> input_;
    std::string abort_reason_;
};

} // namespace fedpp::secagg
