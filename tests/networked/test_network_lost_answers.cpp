// The model owner's transport when a party's answer is lost after the party
// carried out the request (the connection breaks on the way back): it asks
// the party what became of the request (Withdraw; Forwarded for a move) and
// carries on with what the party made, as if the answer had come. The
// requests reach bob through an AnswerCutter, which holds back bob's
// answers and then cuts the connection once bob has settled the request.
#include "answer_cutter.hpp"
#include "network_parties.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <string>
#include <thread>

namespace lost_answers {

std::atomic<int> increments{0};

// Computations compiled into this program (so into bob's).
constexpr auto plus_one = fedpp::computation<"lost_answers.plus_one">([](std::int64_t& n) { return n + 1; });
/// A computation without a result.
constexpr auto increment = fedpp::computation<"lost_answers.increment">([](std::int64_t& n) {
    ++n;
    ++increments;
});

std::atomic<int> slow_starts{0};

/// A computation that takes a second and a half.
constexpr auto slow_plus_one = fedpp::computation<"lost_answers.slow_plus_one">([](std::int64_t& n) {
    ++slow_starts;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return n + 1;
});

/// Whether `done()` holds within 20 s.
bool becomes(const std::function<bool()>& done) {
    for (int tries = 0; !done() && tries < 2000; ++tries) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

} // namespace lost_answers

TEST_CASE("network: a request whose answer was lost after the party carried it out is settled as done: the "
          "transport asks, and carries on with what it made",
          "[network][numbered]") {
    using lost_answers::becomes;
    network::Party secure(network::aggregator("secure_worker"));
    network::Party bob(network::data_owner("bob"), {{"secure_worker", secure.address()}});
    network::AnswerCutter to_bob(bob.server.port());
    fedpp::Federation hook("me", std::make_unique<fedpp::grpc::GrpcTransport>(
                                     "me", network::credentials_of("me"),
                                     fedpp::grpc::Peers{{"bob", to_bob.address()}, {"secure_worker", secure.address()}},
                                     network::quick()));
    fedpp::Worker<fedpp::DataOwner<"bob">> bob_worker(hook);
    fedpp::Worker<fedpp::TrustedAggregator<"secure_worker">> secure_worker(hook);
    auto value = fedpp::send(std::int64_t{41}, bob_worker); // (answered: the connection to bob is made)
    REQUIRE(bob.host.object_count() == 1);

    // Runs `request` with bob's answers held back, and cuts the connection
    // once bob has done its part (`settled`), and half a second more to
    // settle its number (microseconds' work after what `settled` sees).
    const auto answer_lost = [&](auto request, const std::function<bool()>& settled) {
        to_bob.hold_answers();
        auto outcome = std::async(std::launch::async, request);
        const bool done = becomes(settled);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        to_bob.cut();
        CHECK(done);
        return outcome.get();
    };
    const auto bob_holds = [&](std::size_t objects) {
        return [&bob, objects] { return bob.host.object_count() == objects; };
    };

    // (A value stored is counted in bob's traffic once it is settled.)
    const auto bob_counted_stores = [&](std::size_t stores) {
        return [&bob, stores] {
            std::size_t counted = 0;
            for (const auto& line : bob.host.traffic().lines()) {
                counted += line.direction == "in" ? line.count : 0;
            }
            return counted == stores;
        };
    };
    auto stored = answer_lost([&] { return fedpp::send(std::int64_t{7}, bob_worker); }, bob_counted_stores(2));
    auto copied = answer_lost([&] { return value.copy(); }, bob_holds(3));
    auto result = answer_lost([&] { return bob_worker.run(lost_answers::plus_one, value); }, bob_holds(4));
    const int increments = lost_answers::increments;
    answer_lost([&] { bob_worker.run(lost_answers::increment, value); },
                [&] { return lost_answers::increments == increments + 1; });
    auto moved = answer_lost([&] { return stored.move(secure_worker); }, bob_holds(3));

    // Each pointer names what bob (or secure_worker) made, and nothing else
    // was left there.
    CHECK(bob.host.object_count() == 3);
    CHECK(secure.host.object_count() == 1);
    CHECK_FALSE(stored.valid());
    CHECK(moved.valid());
    CHECK(copied.get() == 41);
    CHECK(result.get() == 42);
    CHECK(value.get() == 42); // (incremented in place, once)
    CHECK(lost_answers::increments == increments + 1);
    CHECK(bob.host.object_count() == 0);
    CHECK(hook.transfers().size() == 6); // two sends, a move, three gets: each once
}

TEST_CASE("network: a computation whose connection broke while it ran is waited for, and its result given",
          "[network][numbered]") {
    using lost_answers::becomes;
    network::Party bob(network::data_owner("bob"));
    network::AnswerCutter to_bob(bob.server.port());
    fedpp::Federation hook("me", std::make_unique<fedpp::grpc::GrpcTransport>(
                                     "me", network::credentials_of("me"), fedpp::grpc::Peers{{"bob", to_bob.address()}},
                                     network::quick()));
    fedpp::Worker<fedpp::DataOwner<"bob">> bob_worker(hook);
    auto value = fedpp::send(std::int64_t{41}, bob_worker);
    // The connection breaks a moment after the computation started at bob:
    // bob carries on (its requester's deadline has not passed), the
    // transport asks what became of it, and bob's answer waits for the
    // result. (Before, bob took the broken call for a requester that gave
    // up, and deleted the result when it was made.)
    const int started = lost_answers::slow_starts;
    auto outcome = std::async(std::launch::async, [&] { return bob_worker.run(lost_answers::slow_plus_one, value); });
    CHECK(becomes([&] { return lost_answers::slow_starts == started + 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    to_bob.cut();
    auto result = outcome.get();
    CHECK(result.get() == 42);
    CHECK(lost_answers::slow_starts == started + 1); // (it ran once)
    CHECK(bob.host.object_count() == 1);
}
