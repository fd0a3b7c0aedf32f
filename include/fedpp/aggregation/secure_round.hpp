// fedpp: secure aggregation between located parties. The aggregator is a
// SumOnlyAggregator: it learns the weighted mean of the data owners'
// updates and nothing else about any one of them (Bonawitz et al. 2017,
// fedpp/secure_aggregation.hpp), even if some drop out on the way.
//
//     using Summer = fedpp::SumOnlyAggregator<"secure_worker">;
//     fedpp::secagg::SecureRound<Model, Summer> secure(model, secure_worker, {}, bob, alice); // keys, shares
//     auto bobs = secure.mask(bobs_model, 1.0).move(secure_worker);      // Masked<Model>, at the aggregator
//     auto alices = secure.mask(alices_model, 1.0).move(secure_worker);
//     model = secure.sum(std::move(bobs), std::move(alices)).get();      // Aggregate<Model>: the mean
//
// The model owner only orchestrates: every step runs at the party it
// belongs to (secure_steps.hpp), every message is an object that moves
// between a data owner and the aggregator through fedpp's seam (so it is
// logged and counted), and the model owner reads none of them. A masked
// update leaves its data owner only for the sum-only aggregator and there
// only goes into sum(): the location rules (trust.hpp) make anything else
// fail to compile. A participant that fails (its worker is gone) or is not
// in sum() has dropped out; sum() unmasks the survivors' mean if at least
// the threshold t of them (and the location's min_contributions) remain,
// and throws SecureAggregationError otherwise, revealing nothing.
//
// Updates are encoded in fixed point (SecureRoundOptions::encoding:
// clipping range, precision, largest weight): the mean is that of the
// clipped, quantised updates, exact up to FixedPointEncoding's bound.
// Needs OpenSSL 3 (CMake target fedpp::secure_aggregation).
#pragma once

#include "fedpp/aggregation/accumulate.hpp"
#include "fedpp/aggregation/mask_noise.hpp"
#include "fedpp/aggregation/secure_steps.hpp"
#include "fedpp/located/pointer.hpp"
#include "fedpp/located/remote_call.hpp"
#include "fedpp/located/trust.hpp"
#include "fedpp/located/worker.hpp"
#include "fedpp/secure_aggregation/graph.hpp"
#include "fedpp/secure_aggregation/random_source.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fedpp::detail::secagg {
/// Where the state and messages of a participant are, whatever its own
/// location type (the steps do not depend on it).
struct Participant : fedpp::DataOwner<"fedpp.secagg.participant"> {};
} // namespace fedpp::detail::secagg

namespace fedpp::secagg {

struct SecureRoundOptions {
    FixedPointConfig encoding;
    /// k, each participant's neighbours: 0, or n - 1 or more, the complete
    /// graph (Bonawitz et al.: every pair of participants masks); an even k
    /// below n - 1, a random Harary graph of degree k drawn by the
    /// aggregator (SecAgg+, Bell et al. 2020: the participants' and the
    /// server's work grows with k rather than n), at least
    /// NeighbourGraph::minimum_degree(n); the sum is still released only
    /// with a strict majority of the n participants in it. ArgumentError:
    /// an odd k, or a k below that floor.
    /// NeighbourGraph::degree_for(n, dropout rate, failure probability)
    /// gives the smallest k that survives a dropout rate.
    std::uint32_t degree = 0;
    /// t, the survivors among each participant's k + 1 share holders needed
    /// to unmask it; 0: the smallest majority of them.
    std::uint32_t threshold = 0;
    /// Reproducible secrets (tests and simulations only: whoever knows the
    /// seed knows every secret); empty: OpenSSL's DRBG.
    std::optional<std::uint64_t> seed = std::nullopt;
};

template <class M, Location Aggregator>
    requires SumOnlyLocation<Aggregator>
class SecureRound {
public:
    /// Rounds 0 and 1 of a session of `owners` (data owners, in this order
    /// client 0, 1, ...) at `aggregator`: keys advertised, shares exchanged.
    /// `layout` is a model of the layout of the updates (the global model).
    template <Location... Owners>
        requires(UntrustedLocation<Owners> && ...)
    SecureRound(const M& layout, Worker<Aggregator>& aggregator, const SecureRoundOptions& options,
                Worker<Owners>&... owners)
        : SecureRound(layout, aggregator, options,
                      std::vector<WorkerRef>{WorkerRef{fedpp::detail::SeamAccess::of(owners), owners.id()}...}) {}

    /// The same for workers of one location (a federated run's clients).
    template <Location Owner>
        requires UntrustedLocation<Owner>
    SecureRound(const M& layout, Worker<Aggregator>& aggregator, const SecureRoundOptions& options,
                const std::vector<Worker<Owner>*>& owners)
        : SecureRound(layout, aggregator, options, refs_of(owners)) {}

    /// Round 2 at the data owner holding `model`: its update, with `noise`
    /// added (DP: its share of the noise, MaskNoise) and `weight` in (0,
    /// options.encoding.max_weight], encoded and masked, there (a data owner
    /// whose policy sets a floor clips the update, and refuses too little
    /// noise: PermissionDeniedError; Policy::mask_min_noise_multiplier).
    template <Location Owner>
        requires UntrustedLocation<Owner>
    [[nodiscard]] Pointer<Masked<M>, Owner> mask(const Pointer<M, Owner>& model, double weight,
                                                 const MaskNoise& noise = {}) {
        require_not_summed("mask");
        Client& client = client_at(model.worker_id());
        if (client.masked) {
            throw ArgumentError("SecureRound::mask: this participant has already masked its update in this round");
        }
        Bytes arguments;
        ByteWriter writer(arguments);
        writer.write(weight);
        writer.write(noise.stddev);
        writer.write(noise.seed);
        auto masked = fedpp::detail::execute_on<fedpp::detail::secagg::ClientMask<M>, Masked<M>, Owner>(
            "SecureRound::mask", arguments, *client.state, model);
        client.masked = true;
        return masked;
    }

    /// Rounds 2 and 3 at the aggregator: the masked updates received, the
    /// survivors' masks removed; the weighted mean of their updates, an
    /// Aggregate there. SecureAggregationError if fewer than t survive.
    template <class... Pointers>
    [[nodiscard]] Pointer<Aggregate<M>, Aggregator> sum(Pointers&&... masked) {
        std::vector<Pointer<Masked<M>, Aggregator>> all;
        (all.push_back(std::forward<Pointers>(masked)), ...);
        return sum(std::move(all));
    }
    [[nodiscard]] Pointer<Aggregate<M>, Aggregator> sum(std::vector<Pointer<Masked<M>, Aggregator>>&& masked) {
        require_not_summed("sum");
        receive_masked(masked); // all or none (AggregationError: a stranger's, another session's, twice)
        summed_ = true;
        masked.clear();
        server_step<fedpp::detail::secagg::ServerClose>(Bytes{});
        exchange_round(); // the survivors named, the shares of their self masks (and the dropped ones' keys) back
        server_step<fedpp::detail::secagg::ServerClose>(Bytes{});
        const auto layout = send(layout_.copy(), *aggregator_);
        Bytes arguments;
        ByteWriter(arguments).write<std::uint64_t>(min_contributions_v<Aggregator>);
        auto mean = fedpp::detail::execute_on<fedpp::detail::secagg::ServerResult<M>, Aggregate<M>, Aggregator>(
            "SecureRound::sum", arguments, *server_, layout);
        for (std::uint32_t c = 0; c < clients_.size(); ++c) {
            Bytes client;
            ByteWriter(client).write<std::uint32_t>(c);
            in_sum_.push_back(server_step<fedpp::detail::secagg::ServerInSum, bool>(client).get());
        }
        return mean;
    }

    /// After sum(): whether each participant's update is in it (in the
    /// constructor's order). One that dropped out after its masked update
    /// arrived is in it.
    [[nodiscard]] const std::vector<bool>& in_sum() const noexcept { return in_sum_; }

    /// The participants that failed so far, and why (their index in the
    /// constructor's order): their worker was gone or unreachable.
    [[nodiscard]] const std::vector<std::pair<std::size_t, std::string>>& dropouts() const noexcept {
        return dropouts_;
    }

private:
    using Participant = fedpp::detail::secagg::Participant;
    using Message = Pointer<ProtocolMessage, Participant>;
    struct WorkerRef {
        std::shared_ptr<fedpp::detail::Seam> seam;
        WorkerId id;
    };
    using ServerParty = fedpp::detail::secagg::ServerParty;
    struct Client {
        WorkerRef worker;
        std::optional<Pointer<fedpp::detail::secagg::ClientParty, Participant>> state;
        bool dropped = false;
        bool masked = false;
    };

    void require_not_summed(const char* operation) const {
        if (summed_) {
            throw ArgumentError(std::string("SecureRound::") + operation +
                                ": this round has been summed; a session sums once (make a new SecureRound)");
        }
    }

    /// The masked updates into the server, in one step: checked, then taken.
    void receive_masked(const std::vector<Pointer<Masked<M>, Aggregator>>& masked) {
        if (masked.empty()) {
            return;
        }
        std::vector<ObjectRef> inputs{ObjectRef{server_->id(), &fedpp::detail::value_type<ServerParty>()}};
        for (const auto& update : masked) {
            fedpp::detail::PointerAccess::require_at(update, seam_, aggregator_->id(), "SecureRound::sum");
            inputs.push_back(ObjectRef{update.id(), &fedpp::detail::value_type<Masked<M>>()});
        }
        fedpp::detail::execute_at<void, Aggregator>(
            seam_, aggregator_->id(), fedpp::detail::computation_of<fedpp::detail::secagg::ServerReceiveMasked<M>>(),
            inputs, Bytes{});
    }

    template <Location Owner>
    static std::vector<WorkerRef> refs_of(const std::vector<Worker<Owner>*>& owners) {
        std::vector<WorkerRef> refs;
        for (Worker<Owner>* owner : owners) {
            refs.push_back({fedpp::detail::SeamAccess::of(*owner), owner->id()});
        }
        return refs;
    }

    SecureRound(const M& layout, Worker<Aggregator>& aggregator, const SecureRoundOptions& options,
                std::vector<WorkerRef> owners)
        : layout_(layout.copy()), aggregator_(&aggregator), seam_(fedpp::detail::SeamAccess::of(aggregator)) {
        const auto n = static_cast<std::uint32_t>(owners.size());
        if (n < std::max<std::size_t>(2, min_contributions_v<Aggregator>)) {
            throw ArgumentError("SecureRound: " + std::to_string(n) + " participants, fewer than the " +
                                std::to_string(min_contributions_v<Aggregator>) +
                                " data owners the aggregator's sum must combine");
        }
        for (std::uint32_t c = 0; c < n; ++c) {
            for (std::uint32_t d = 0; d < c; ++d) {
                if (owners[c].id == owners[d].id) { // (live workers' names differ too: the aggregator's key)
                    throw ArgumentError("SecureRound: worker '" + seam_->name_of(owners[c].id) +
                                        "' is listed twice among the participants");
                }
            }
        }
        settings_.config.clients = n;
        settings_.config.degree = fedpp::detail::secagg::session_degree(options.degree, n);
        settings_.config.threshold =
            options.threshold != 0 ? options.threshold : majority_threshold(settings_.config.degree);
        if (settings_.config.degree < n - 1) { // released only with a majority of all, as the complete graph's
            settings_.config.min_clients = std::max(settings_.config.threshold, majority_threshold(n - 1));
        }
        settings_.config.vector_length = FixedPointEncoding::words_for(fedpp::detail::secagg::value_count(layout));
        OsRandom().fill(settings_.config.session_id);
        settings_.config.validate();
        settings_.encoding = options.encoding;
        FixedPointEncoding(options.encoding).check_clients(n);
        settings_.seed = options.seed;
        Bytes arguments;
        ByteWriter out(arguments);
        settings_.write(out);
        for (const auto& owner : owners) {
            if (owner.seam != seam_) {
                throw LocationError("SecureRound: the data owners and the aggregator are of different federations");
            }
            out.write_string(seam_->name_of(owner.id)); // whom the aggregator takes its messages from
        }
        server_.emplace(fedpp::detail::execute_at<ServerParty, Aggregator>(
            seam_, aggregator.id(), fedpp::detail::computation_of<fedpp::detail::secagg::ServerCreate>(), {},
            arguments));
        for (std::uint32_t c = 0; c < n; ++c) {
            clients_.push_back({std::move(owners[c]), std::nullopt, false});
            join(c);
        }
        server_step<fedpp::detail::secagg::ServerClose>(Bytes{});
        exchange_round(); // the neighbours' keys out, the sealed shares back
        server_step<fedpp::detail::secagg::ServerClose>(Bytes{});
        exchange_round(); // the requests for the masked updates out (kept until mask())
    }

    /// Client c's state at its data owner, and its keys to the server.
    void join(std::uint32_t c) {
        try {
            Bytes arguments;
            ByteWriter out(arguments);
            settings_.write(out);
            out.write<std::uint32_t>(c);
            clients_[c].state.emplace(fedpp::detail::execute_at<fedpp::detail::secagg::ClientParty, Participant>(
                seam_, clients_[c].worker.id,
                fedpp::detail::computation_of<fedpp::detail::secagg::ClientJoin>(), {}, arguments));
            to_server(client_step<fedpp::detail::secagg::ClientStart>(c));
        } catch (const RemoteObjectError& e) { // its worker is gone (or, a process, unreachable)
            drop(c, e.what());
        } catch (const NetworkError& e) {
            drop(c, e.what());
        }
    }

    /// Each remaining client gets the server's message of the round and
    /// answers it.
    void exchange_round() {
        for (std::uint32_t c = 0; c < clients_.size(); ++c) {
            if (clients_[c].dropped) {
                continue;
            }
            try {
                Bytes arguments;
                ByteWriter(arguments).write<std::uint32_t>(c);
                Pointer<ProtocolMessage, Aggregator> out =
                    server_step<fedpp::detail::secagg::ServerOutbox, ProtocolMessage>(arguments);
                Message delivered = forward(out, clients_[c].worker.id);
                to_server(client_step<fedpp::detail::secagg::ClientHandle>(c, delivered));
            } catch (const RemoteObjectError& e) {
                drop(c, e.what());
            } catch (const NetworkError& e) {
                drop(c, e.what());
            }
        }
    }

    template <class Step, class... Inputs>
    Message client_step(std::uint32_t c, const Inputs&... inputs) {
        return fedpp::detail::execute_on<Step, ProtocolMessage, Participant>("SecureRound", Bytes{},
                                                                              *clients_[c].state, inputs...);
    }

    template <class Step, class Result = void, class... Inputs>
    auto server_step(const Bytes& arguments, const Inputs&... inputs) {
        return fedpp::detail::execute_on<Step, Result, Aggregator>("SecureRound", arguments, *server_, inputs...);
    }

    /// A message moves straight from where it is to worker `to`: between a
    /// participant and the aggregator only, as the location rules allow.
    template <Location L>
    static Message forward(Pointer<ProtocolMessage, L>& message, WorkerId to) {
        return fedpp::detail::PointerAccess::forward<ProtocolMessage, Participant>(message, to);
    }

    void to_server(Message message) {
        Message there = forward(message, aggregator_->id());
        server_step<fedpp::detail::secagg::ServerReceive>(Bytes{}, there);
    }

    void drop(std::uint32_t c, std::string why) {
        clients_[c].dropped = true;
        dropouts_.emplace_back(c, std::move(why));
    }

    Client& client_at(WorkerId worker) {
        for (auto& client : clients_) {
            if (client.worker.id == worker && client.state) {
                return client;
            }
        }
        throw LocationError("SecureRound::mask: the model is at a worker that is not a participant of this session");
    }

    M layout_;
    Worker<Aggregator>* aggregator_;
    std::shared_ptr<fedpp::detail::Seam> seam_;
    fedpp::detail::secagg::Settings settings_;
    std::optional<Pointer<ServerParty, Aggregator>> server_;
    std::vector<Client> clients_;
    std::vector<std::pair<std::size_t, std::string>> dropouts_;
    std::vector<bool> in_sum_;
    bool summed_ = false;
};

} // namespace fedpp::secagg
