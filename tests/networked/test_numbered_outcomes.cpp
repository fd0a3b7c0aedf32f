// What a party remembers of the values and moves its peers numbered
// (src/grpc/arrivals.hpp, departures.hpp, on numbered_outcomes.hpp), on its
// own, and how the model owner's transport reads a party's answer about a
// move (detail::settle_move). The servers that use them are tested in
// test_network_hostile.cpp ("got no answer", "answer was lost").
#include "arrivals.hpp"
#include "departures.hpp"
#include "handlers.hpp"
#include "network_parties.hpp"
#include "wire.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using fedpp::grpc::detail::Arrivals;
using fedpp::grpc::detail::Departure;
using fedpp::grpc::detail::Departures;
using Clock = std::chrono::steady_clock;

constexpr auto never = [] { return false; };

/// A party's answer to Withdraw: `object`, and whether it was carried out.
fedpp::wire::ObjectReply withdrawal(fedpp::ObjectId object, bool carried_out) {
    fedpp::wire::ObjectReply reply;
    reply.set_object(object);
    reply.set_carried_out(carried_out);
    return reply;
}

/// Asks `departures` how `requester`'s move `number` ended while another
/// thread ends it as `departure` a tenth of a second later.
std::optional<Departure> ask_while_it_ends(Departures& departures, const std::string& requester,
                                           std::uint64_t number, const Departure& departure) {
    std::thread mover([&] {
        std::this_thread::sleep_for(100ms);
        departures.end(requester, number, departure);
    });
    const auto answer = departures.ask(requester, number, Clock::now() + 20s, never);
    mover.join();
    return answer;
}

/// Whether max_waiting_per_peer questions of "me" come to wait at `table`
/// (within 20 s), and one more, `one_more()`, is answered at once (true:
/// without what it asked for).
template <class Table, class Ask>
bool all_wait(Table& table, Ask one_more) {
    const auto until = Clock::now() + 20s;
    while (table.waiting("me") < Table::max_waiting_per_peer && Clock::now() < until) {
        std::this_thread::sleep_for(5ms);
    }
    const auto asked = Clock::now();
    const bool crowded = table.waiting("me") == Table::max_waiting_per_peer && one_more();
    return crowded && Clock::now() - asked < 10s;
}

} // namespace

TEST_CASE("numbered outcomes: a value arrives once under its number, a withdrawal settles it, and a store that "
          "failed after all is none",
          "[network][numbers]") {
    Arrivals arrivals(10min);
    REQUIRE(arrivals.begin("bob", 1));
    CHECK_FALSE(arrivals.begin("bob", 1));
    CHECK(arrivals.end("bob", 1, 42));
    CHECK(arrivals.withdraw("bob", 1).object == 42);
    CHECK(arrivals.withdraw("bob", 1).object == 42); // (asked again: the same)
    CHECK(arrivals.withdraw("bob", 1).carried_out);
    arrivals.fail("bob", 1); // (recording it failed after all)
    CHECK(arrivals.withdraw("bob", 1).object == 0);
    CHECK_FALSE(arrivals.withdraw("bob", 1).carried_out);
    // Withdrawn while it arrives: not kept; before it came: refused.
    REQUIRE(arrivals.begin("bob", 2));
    CHECK(arrivals.withdraw("bob", 2).object == 0);
    CHECK_FALSE(arrivals.end("bob", 2, 43));
    CHECK_FALSE(arrivals.withdraw("bob", 2).carried_out);
    CHECK(arrivals.withdraw("bob", 3).object == 0);
    CHECK_FALSE(arrivals.withdraw("bob", 3).carried_out);
    CHECK_FALSE(arrivals.begin("bob", 3));
    // A computation without a result that ran: object 0, carried out.
    REQUIRE(arrivals.begin("bob", 5));
    CHECK(arrivals.end("bob", 5, 0));
    CHECK(arrivals.withdraw("bob", 5).object == 0);
    CHECK(arrivals.withdraw("bob", 5).carried_out);
    // Another sender's numbers are its own.
    CHECK(arrivals.withdraw("alice", 1).object == 0);
    CHECK(arrivals.begin("alice", 4));
    CHECK(arrivals.begin("bob", 4));
}

TEST_CASE("numbered outcomes: a withdrawal asked to wait waits for a request still being made, within its time, and "
          "withdraws it only if it is not settled then",
          "[network][numbers]") {
    Arrivals arrivals(10min);
    // Made meanwhile (a tenth of a second later): its object, carried out.
    REQUIRE(arrivals.begin("me", 1));
    std::thread maker([&] {
        std::this_thread::sleep_for(100ms);
        CHECK(arrivals.end("me", 1, 42));
    });
    const auto made = arrivals.withdraw_once_settled("me", 1, Clock::now() + 20s, never);
    maker.join();
    REQUIRE(made);
    CHECK(made->object == 42);
    CHECK(made->carried_out);
    // Failing meanwhile: none.
    REQUIRE(arrivals.begin("me", 2));
    std::thread failer([&] {
        std::this_thread::sleep_for(100ms);
        arrivals.fail("me", 2);
    });
    CHECK(arrivals.withdraw_once_settled("me", 2, Clock::now() + 20s, never)->object == 0);
    failer.join();
    // Still being made when its time is up: withdrawn, so not kept once
    // made. When its question's call was cancelled first: no answer (it
    // would go nowhere), and it stays pending, to be asked again.
    REQUIRE(arrivals.begin("me", 3));
    const auto timed_out = arrivals.withdraw_once_settled("me", 3, Clock::now() + 100ms, never);
    REQUIRE(timed_out);
    CHECK_FALSE(timed_out->carried_out);
    CHECK_FALSE(arrivals.end("me", 3, 43));
    REQUIRE(arrivals.begin("me", 4));
    const auto start = Clock::now();
    CHECK_FALSE(arrivals.withdraw_once_settled("me", 4, Clock::now() + 20s, [] { return true; }));
    CHECK(Clock::now() - start < 10s);
    CHECK(arrivals.pending("me", 4));
    CHECK(arrivals.end("me", 4, 44));
    CHECK(arrivals.withdraw_once_settled("me", 4, Clock::now() + 20s, never)->object == 44);
    // Not begun: withdrawn at once, and refused if it comes after.
    const auto unseen = Clock::now();
    CHECK(arrivals.withdraw_once_settled("me", 5, Clock::now() + 20s, never)->object == 0);
    CHECK(Clock::now() - unseen < 10s);
    CHECK_FALSE(arrivals.begin("me", 5));
    // A few questions of one peer wait at once, and all hear the object;
    // one more is answered at once, without withdrawing it (to ask again).
    REQUIRE(arrivals.begin("me", 6));
    std::vector<std::thread> waiting;
    std::atomic<int> heard{0};
    for (int k = 0; k < Arrivals::max_waiting_per_peer; ++k) {
        waiting.emplace_back([&] {
            const auto answer = arrivals.withdraw_once_settled("me", 6, Clock::now() + 20s, never);
            heard += answer && answer->object == 46 ? 1 : 0;
        });
    }
    CHECK(all_wait(arrivals, [&] { return !arrivals.withdraw_once_settled("me", 6, Clock::now() + 20s, never); }));
    CHECK(arrivals.pending("me", 6));
    CHECK(arrivals.end("me", 6, 46));
    for (auto& thread : waiting) {
        thread.join();
    }
    CHECK(heard == Arrivals::max_waiting_per_peer);
    CHECK(arrivals.waiting("me") == 0);
}

TEST_CASE("numbered outcomes: the model owner's transport reads what became of a numbered store, copy or "
          "computation: its object, none, a computation that ran without a result, or unknown",
          "[network][numbers]") {
    namespace d = fedpp::grpc::detail;
    const fedpp::NetworkError lost("no answer");
    const auto says = [](fedpp::ObjectId object, bool carried_out) {
        return [=] { return withdrawal(object, carried_out); };
    };
    const d::NumberedObject& result = d::computation_result; // (the transport's execute)
    CHECK(d::settle(lost, says(7, true)) == 7);
    CHECK(d::settle(lost, says(7, true), result) == 7);
    CHECK_THROWS_WITH(d::settle(lost, says(0, false)), Catch::Contains("no answer; the value did not arrive there"));
    CHECK_THROWS_WITH(d::settle(lost, says(0, false), result),
                      Catch::Contains("no answer; no result of the computation is kept there (it may have run)"));
    // A computation without a result that ran is done; a value (or a copy)
    // is never carried out as none: a party that says so is not believed,
    // and its sender keeps the value.
    CHECK(d::settle(lost, says(0, true), result) == 0);
    CHECK_THROWS_WITH(d::settle(lost, says(0, true)), Catch::Contains("the value did not arrive there"));
    try {
        (void)d::settle(lost, []() -> fedpp::wire::ObjectReply { throw fedpp::NetworkError("down"); }, result);
        FAIL("an unanswered question reads as an answer");
    } catch (const d::OutcomeUnknownError& e) {
        CHECK_THAT(e.what(), Catch::Contains("asked what became of the computation's result, the party did not say "
                                             "(down): it may be there"));
    }
}

TEST_CASE("numbered outcomes: settled numbers are forgotten after the memory, and beyond 100,000 a peer, pending "
          "ones never",
          "[network][numbers]") {
    Arrivals arrivals(1min);
    REQUIRE(arrivals.begin("bob", 1)); // (pending throughout)
    const std::uint64_t settled = Arrivals::max_settled_per_peer;
    for (std::uint64_t number = 2; number < 2 + settled; ++number) {
        (void)arrivals.withdraw("bob", number);
    }
    CHECK_FALSE(arrivals.begin("bob", 2)); // all remembered
    (void)arrivals.withdraw("bob", 2 + settled); // one more: the oldest goes
    CHECK(arrivals.begin("bob", 2));
    CHECK_FALSE(arrivals.begin("bob", 3));
    CHECK_FALSE(arrivals.begin("bob", 1)); // still arriving: never forgotten
    CHECK(arrivals.end("bob", 1, 7));
    arrivals.expire(Clock::now() + 2min);
    CHECK(arrivals.begin("bob", 3));
    CHECK(arrivals.begin("bob", 1)); // forgotten once settled and old
}

TEST_CASE("numbered outcomes: a question about a move waits while it is under way, within its time, and a "
          "requester has few questions waiting",
          "[network][numbers]") {
    Departures departures(10min);
    // It waits for the move, and hears how it ended.
    REQUIRE(departures.begin("me", 1));
    const auto moved = ask_while_it_ends(departures, "me", 1, {5, 10, {}, false});
    REQUIRE(moved);
    CHECK(moved->object == 5);
    CHECK(moved->moved_bytes == 10);
    // Under way still when its time is up, or when its caller gave up: none.
    REQUIRE(departures.begin("me", 2));
    CHECK_FALSE(departures.ask("me", 2, Clock::now() + 100ms, never));
    const auto start = Clock::now();
    CHECK_FALSE(departures.ask("me", 2, Clock::now() + 20s, [] { return true; }));
    CHECK(Clock::now() - start < 10s);
    // At most a few questions of one requester wait at once; the others are
    // answered at once.
    std::atomic<int> heard{0};
    std::vector<std::thread> waiting;
    for (int k = 0; k < Departures::max_waiting_per_requester; ++k) {
        waiting.emplace_back([&] {
            const auto answer = departures.ask("me", 2, Clock::now() + 20s, never);
            heard += answer && answer->failure == "refused" && !answer->uncertain ? 1 : 0;
        });
    }
    CHECK(all_wait(departures, [&] { return !departures.ask("me", 2, Clock::now() + 20s, never); }));
    // Another requester's question waits all the same. (No REQUIRE while
    // the threads above wait: they end below.)
    CHECK(departures.begin("alice", 9));
    const auto alices_move = ask_while_it_ends(departures, "alice", 9, {3, 1, {}, false});
    CHECK((alices_move && alices_move->object == 3));
    departures.end("me", 2, {0, 0, "refused", false});
    for (auto& thread : waiting) {
        thread.join();
    }
    CHECK(heard == Departures::max_waiting_per_requester);
    CHECK(departures.waiting("me") == 0);
    // A number asked about before its request came: did not move, and is
    // refused after; a move that may have arrived says so.
    const auto unseen = departures.ask("me", 3, Clock::now(), never);
    REQUIRE(unseen);
    CHECK(unseen->object == 0);
    CHECK(unseen->failure.find("did not arrive") != std::string::npos);
    CHECK_FALSE(departures.begin("me", 3));
    REQUIRE(departures.begin("me", 4));
    departures.end("me", 4, {0, 0, "no answer", true});
    const auto unknown = departures.ask("me", 4, Clock::now(), never);
    REQUIRE(unknown);
    CHECK(unknown->uncertain);
}

TEST_CASE("numbered outcomes: the model owner's transport reads how a move ended: moved, did not move, or may have",
          "[network][numbers]") {
    namespace d = fedpp::grpc::detail;
    const fedpp::NetworkError lost("no answer");
    fedpp::wire::ForwardReply answer;
    answer.set_object(9);
    answer.set_moved_bytes(100);
    CHECK(d::settle_move(lost, "bob", [&] { return answer; }).object() == 9);
    answer.set_object(0);
    answer.set_failure("refused by the destination");
    try {
        (void)d::settle_move(lost, "bob", [&] { return answer; });
        FAIL("a move that did not happen reads as one that did");
    } catch (const d::OutcomeUnknownError&) {
        FAIL("a move that did not happen reads as one that may have");
    } catch (const fedpp::NetworkError& e) {
        CHECK_THAT(e.what(), Catch::Contains("the value did not move (refused by the destination): it is still at "
                                             "'bob'"));
    }
    answer.set_uncertain(true);
    CHECK_THROWS_AS(d::settle_move(lost, "bob", [&] { return answer; }), d::OutcomeUnknownError);
    CHECK_THROWS_WITH(d::settle_move(lost, "bob", [&] { return answer; }),
                      Catch::Contains("may be at the destination too"));
    CHECK_THROWS_WITH(d::settle_move(lost, "bob",
                                     [&]() -> fedpp::wire::ForwardReply { throw fedpp::NetworkError("down"); }),
                      Catch::Contains("the value may have moved"));
}

TEST_CASE("numbered outcomes: a party records how each numbered move ended: moved, did not move and why (in "
          "printable ASCII, 256 bytes at most), or may have arrived",
          "[network][numbers]") {
    namespace d = fedpp::grpc::detail;
    fedpp::party::Host bob(network::data_owner("bob"), [](const std::string&) {});
    d::Departures departures(10min);
    const std::string T = fedpp::detail::value_type<fedpp::Tensor<double>>().name;
    const auto stored = [&] { return bob.store("me#s1", T, fedpp::to_bytes(fedpp::Tensor<double>::ones(2, 2))); };
    const auto move = [&](fedpp::ObjectId object, std::uint64_t number, const std::string& type,
                          const d::StoreAt& store_at, const d::WithdrawAt& withdraw_at) {
        fedpp::wire::ForwardRequest request;
        request.set_object(object);
        request.set_type(type);
        request.set_destination("secure_worker");
        request.set_transfer(number);
        return d::forward(bob, "me#s1", request, departures, number, store_at, withdraw_at);
    };
    const auto ended = [&](std::uint64_t number) {
        const auto departure = departures.ask("me", number, Clock::now(), never);
        REQUIRE(departure);
        return *departure;
    };
    const auto arrives_as = [](fedpp::ObjectId id) {
        return [id](const std::string&, const std::string&, const fedpp::Bytes&, const std::string&,
                    std::uint64_t) { return id; };
    };
    const auto no_answer = [](const std::string&, const std::string&, const fedpp::Bytes&, const std::string&,
                              std::uint64_t) -> fedpp::ObjectId { throw fedpp::NetworkError("no answer"); };
    const auto says = [](fedpp::ObjectId id) { // (its answer to Withdraw: arrived as `id`, or 0: none)
        return [id](const std::string&, std::uint64_t) { return withdrawal(id, id != 0); };
    };
    const auto silent = [](const std::string&, std::uint64_t) -> fedpp::wire::ObjectReply {
        throw fedpp::NetworkError("no answer either");
    };

    // Moved: its id there.
    CHECK(move(stored(), 1, T, arrives_as(77), says(0)).object() == 77);
    CHECK(ended(1).object == 77);
    // No answer, and the destination says it did not arrive: not moved,
    // the value still the requester's here.
    const fedpp::ObjectId kept = stored();
    CHECK_THROWS_WITH(move(kept, 2, T, no_answer, says(0)), Catch::Contains("did not arrive there (and will not)"));
    CHECK(ended(2).object == 0);
    CHECK_FALSE(ended(2).uncertain);
    CHECK(bob.list("me#s1").size() == 1);
    // No answer, and the destination does not say: may have arrived.
    CHECK_THROWS_AS(move(kept, 3, T, no_answer, silent), d::OutcomeUnknownError);
    CHECK(ended(3).object == 0);
    CHECK(ended(3).uncertain);
    // A destination that says a value arrived as no object (carried out,
    // object 0, as only a computation without a result may) is not
    // believed: not moved.
    const auto carried_out_as_none = [](const std::string&, std::uint64_t) { return withdrawal(0, true); };
    CHECK_THROWS_WITH(move(kept, 30, T, no_answer, carried_out_as_none),
                      Catch::Contains("did not arrive there (and will not)"));
    CHECK(bob.list("me#s1").size() == 1);
    // A destination that answers with no object is asked again.
    CHECK(move(kept, 4, T, arrives_as(0), says(78)).object() == 78);
    CHECK(ended(4).object == 78);
    CHECK(bob.list("me#s1").empty());
    // Why it did not move, in printable ASCII and cut: here the refusal
    // names the requester's type, 5,000 bytes of UTF-8.
    std::string type;
    for (int k = 0; k < 2500; ++k) {
        type += "\xc3\xa9";
    }
    CHECK_THROWS(move(stored(), 5, type, arrives_as(79), says(0)));
    const std::string why = ended(5).failure;
    CHECK(why.find("holds a") != std::string::npos);
    CHECK(why.size() <= 256 + 3);
    for (const char c : why) {
        CHECK((c >= 0x20 && c < 0x7f));
    }
}
