#include "handlers.hpp"

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fedpp::grpc::detail {

namespace {

/// How a numbered request's object is named in its messages.
struct NumberedKind {
    const char* object;    // "value"
    const char* requester; // "sender"
    const char* made;      // "arrived"
};

/// `make(settlement)` makes an object for `peer` under its number `transfer`
/// (0: none), recorded in `arrivals`: refused (PermissionDeniedError) if
/// that number came before or was withdrawn. The settlement settles it
/// before its requester can learn of it, so that no object stays that its
/// requester is told it did not get: one whose requester stopped waiting
/// (`gave_up`: its deadline passed, it cancelled) was not told of it, so it
/// is not carried out once its turn comes (`start`), nor kept once made if
/// `gave_up_while_made` (`accept`: a computation's call that broke before
/// its deadline is not given up once it runs, as its requester asks for
/// it); nor is one withdrawn meanwhile.
ObjectId numbered(party::Host& host, const std::string& peer, std::uint64_t transfer, Arrivals& arrivals,
                  fedpp::detail::FunctionRef<bool()> gave_up, fedpp::detail::FunctionRef<bool()> gave_up_while_made,
                  const NumberedKind& kind, fedpp::detail::FunctionRef<ObjectId(const party::Settlement&)> make) {
    const std::string requester(party::name_of(peer));
    if (transfer != 0 && !arrivals.begin(requester, transfer)) {
        host.deny(peer, std::string("a ") + kind.object + " numbered " + std::to_string(transfer) +
                            ", a number that came before or was withdrawn (a number is used once)");
    }
    const auto refuse = [&](bool given_up, const std::string& when, const char* outcome) {
        const std::string named = transfer != 0 ? std::string(kind.object) + " number " + std::to_string(transfer)
                                                : "a " + std::string(kind.object);
        throw NetworkError("fedpp::grpc: " + named + " of '" + requester + "' was " +
                           (given_up ? "given up" : "withdrawn") + " by its " + kind.requester + " " + when + ": " +
                           outcome);
    };
    const auto start = [&] {
        if (const bool given_up = gave_up(); given_up || (transfer != 0 && !arrivals.pending(requester, transfer))) {
            refuse(given_up, std::string("before it ") + kind.made, "not carried out");
        }
    };
    const auto accept = [&](ObjectId id) {
        if (const bool given_up = gave_up_while_made();
            given_up || (transfer != 0 && !arrivals.end(requester, transfer, id))) {
            refuse(given_up, std::string("while it ") + kind.made, "not kept");
        }
    };
    try {
        return make({start, accept});
    } catch (...) {
        if (transfer != 0) { // (also if it was settled as made and then not kept: an allocation failed)
            arrivals.fail(requester, transfer);
        }
        throw;
    }
}

} // namespace

ObjectId store(party::Host& host, const std::string& peer, NextStoreChunk next, Arrivals& arrivals,
               fedpp::detail::FunctionRef<bool()> sender_gave_up) {
    wire::StoreChunk chunk;
    if (!next(chunk)) {
        throw SerializationError("fedpp::grpc: a store without a value");
    }
    const std::string type = chunk.type(); // (chunk is reused for the next ones)
    const std::string on_behalf_of = chunk.on_behalf_of();
    bool first = true; // the first chunk's data is the value's start
    const auto next_bytes = [&](std::span<const std::byte>& bytes) {
        if (!first && !next(chunk)) {
            return false;
        }
        first = false;
        bytes = {reinterpret_cast<const std::byte*>(chunk.data().data()), chunk.data().size()};
        return true;
    };
    const auto what = [&] { return party::Host::sent_by(peer); };
    ByteReader in(chunk.total_bytes(), next_bytes, what);
    if (chunk.transfer() != 0) {
        host.admit_value(peer, chunk.total_bytes()); // (before a number is recorded)
    }
    return numbered(host, peer, chunk.transfer(), arrivals, sender_gave_up, sender_gave_up,
                    {"value", "sender", "arrived"},
                    [&](const party::Settlement& settlement) {
                        return host.store(peer, type, in, on_behalf_of, settlement.accept);
                    });
}

wire::ObjectReply withdraw(party::Host& host, const std::string& peer, const wire::TransferRequest& request,
                           Arrivals& arrivals, Arrivals::Clock::time_point wait_until,
                           fedpp::detail::FunctionRef<bool()> gave_up) {
    host.admit(peer, "withdraw"); // (only a requester stores here)
    if (request.transfer() == 0) {
        throw ArgumentError("fedpp::grpc: a withdrawal of number 0 (numbers start at 1)");
    }
    const std::string sender(party::name_of(peer));
    std::optional<Arrival> arrival;
    if (request.wait()) {
        arrival = arrivals.withdraw_once_settled(sender, request.transfer(), wait_until, gave_up);
    } else {
        arrival = arrivals.withdraw(sender, request.transfer());
    }
    if (!arrival) {
        throw NetworkError("fedpp::grpc: number " + std::to_string(request.transfer()) + " of '" + sender +
                           "' is still being carried out (" + std::to_string(Arrivals::max_waiting_per_peer) +
                           " questions of its requester wait already, or this one was cancelled): ask again");
    }
    wire::ObjectReply reply;
    reply.set_object(arrival->object);
    reply.set_carried_out(arrival->carried_out);
    return reply;
}

Bytes fetch(party::Host& host, const std::string& peer, const wire::ObjectRequest& request) {
    return host.fetch(peer, request.object(), request.type());
}

void erase(party::Host& host, const std::string& peer, const wire::ObjectRequest& request) {
    host.erase(peer, request.object());
}

ObjectId copy(party::Host& host, const std::string& peer, const wire::ObjectRequest& request, Arrivals& arrivals,
              fedpp::detail::FunctionRef<bool()> requester_gave_up) {
    if (request.transfer() != 0) {
        host.admit(peer, "copy"); // (before a number is recorded)
    }
    return numbered(host, peer, request.transfer(), arrivals, requester_gave_up, requester_gave_up,
                    {"copy", "requester", "was made"},
                    [&](const party::Settlement& settlement) {
                        return host.copy(peer, request.object(), request.type(), settlement);
                    });
}

namespace {

/// The move itself; `reply` holds the value's id at its destination once
/// it is there (also if what follows fails).
void move_value(party::Host& host, const std::string& peer, const wire::ForwardRequest& request,
                std::uint64_t transfer, const StoreAt& store_at, const WithdrawAt& withdraw_at,
                wire::ForwardReply& reply) {
    const Bytes bytes = host.prepare_forward(peer, request.object(), request.type(), request.destination());
    try {
        try {
            const ObjectId stored = store_at(request.destination(), request.type(), bytes, peer, transfer);
            if (stored == 0) {
                throw NetworkError("fedpp::grpc: '" + party::printable(request.destination(), 100) +
                                   "' answered the store with no object");
            }
            reply.set_object(stored);
        } catch (const NetworkError& lost) { // no answer: it may have arrived all the same
            reply.set_object(settle(lost, [&] { return withdraw_at(request.destination(), transfer); }));
        }
    } catch (...) {
        host.cancel_forward(request.object()); // it stays where it was
        throw;
    }
    reply.set_moved_bytes(bytes.size());
    host.finish_forward(request.object(), request.destination(), bytes.size());
}

/// At most this much of why a move did not happen is remembered (a
/// requester's strings may be in it), as printable ASCII.
constexpr std::size_t max_failure_bytes = 256;

} // namespace

wire::ForwardReply forward(party::Host& host, const std::string& peer, const wire::ForwardRequest& request,
                           Departures& departures, std::uint64_t transfer, const StoreAt& store_at,
                           const WithdrawAt& withdraw_at) {
    const std::uint64_t number = request.transfer();
    wire::ForwardReply reply;
    if (number == 0) {
        move_value(host, peer, request, transfer, store_at, withdraw_at, reply);
        return reply;
    }
    const std::string requester(party::name_of(peer));
    host.admit(peer, "forward"); // (before a number is recorded)
    if (!departures.begin(requester, number)) {
        host.deny(peer, "a move numbered " + std::to_string(number) +
                            ", a number that came before or was asked about (a move is asked for once)");
    }
    // A move whose value is at its destination has happened, whatever
    // fails after (forgetting it here, of memory): so it is answered.
    const auto failed = [&](std::string_view failure, bool uncertain) {
        if (reply.object() == 0) {
            const std::string shown = party::printable(failure, max_failure_bytes); // (4 bytes a byte at most)
            departures.end(requester, number, {0, 0, party::cut(shown, max_failure_bytes), uncertain});
        }
        return reply.object() == 0;
    };
    try {
        move_value(host, peer, request, transfer, store_at, withdraw_at, reply);
    } catch (const OutcomeUnknownError& e) {
        if (failed(e.what(), true)) {
            throw;
        }
    } catch (const std::exception& e) {
        if (failed(e.what(), false)) {
            throw;
        }
    } catch (...) {
        if (failed("an exception that is not a std::exception", false)) {
            throw;
        }
    }
    departures.end(requester, number, {reply.object(), reply.moved_bytes(), {}, false});
    return reply;
}

wire::ForwardReply forwarded(party::Host& host, const std::string& peer, const wire::TransferRequest& request,
                             Departures& departures, Departures::Clock::time_point until,
                             fedpp::detail::FunctionRef<bool()> gave_up) {
    const std::uint64_t number = request.transfer();
    if (number == 0) {
        throw ArgumentError("fedpp::grpc: a question about move number 0 (moves are numbered from 1)");
    }
    host.admit(peer, "forwarded");
    const auto departure = departures.ask(std::string(party::name_of(peer)), number, until, gave_up);
    if (!departure) {
        throw NetworkError("fedpp::grpc: move number " + std::to_string(number) +
                           " is still under way (or was forgotten since)");
    }
    wire::ForwardReply reply;
    reply.set_object(departure->object);
    reply.set_moved_bytes(departure->moved_bytes);
    reply.set_failure(departure->failure);
    reply.set_uncertain(departure->uncertain);
    return reply;
}

ObjectId execute(party::Host& host, const std::string& peer, const wire::ExecuteRequest& request,
                 Arrivals& arrivals, fedpp::detail::FunctionRef<bool()> requester_gave_up,
                 fedpp::detail::FunctionRef<bool()> requester_gave_up_while_made) {
    std::vector<party::NamedObject> inputs;
    inputs.reserve(static_cast<std::size_t>(request.inputs_size()));
    for (const auto& input : request.inputs()) {
        inputs.push_back({input.object(), input.type()});
    }
    const auto* first = reinterpret_cast<const std::byte*>(request.arguments().data());
    const Bytes arguments(first, first + request.arguments().size());
    if (request.transfer() != 0) {
        host.admit(peer, "execute"); // (before a number is recorded)
    }
    return numbered(host, peer, request.transfer(), arrivals, requester_gave_up, requester_gave_up_while_made,
                    {"result", "requester", "was made"},
                    [&](const party::Settlement& settlement) {
                        return host.execute(peer, request.computation(), inputs, arguments, settlement);
                    });
}

ObjectId find(party::Host& host, const std::string& peer, const wire::FindRequest& request) {
    return host.find(peer, request.tag(), request.type());
}

} // namespace fedpp::grpc::detail
