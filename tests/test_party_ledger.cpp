// fedpp::party::Ledger on its own: what counts against a peer's quota while
// its objects are being made, once they are kept, while they move away, and
// after they are gone. (Host's requests use it: test_network_hostile.cpp's
// quota tests go through it from the network.) And RequesterLocks' table,
// and Traffic's lines.
#include <fedpp/party/ledger.hpp>
#include <fedpp/party/requester_locks.hpp>
#include <fedpp/party/traffic.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

using fedpp::party::Ledger;
using fedpp::party::ObjectUsage;

bool usage_is(ObjectUsage a, ObjectUsage b) { return a.objects == b.objects && a.bytes == b.bytes; }

} // namespace

TEST_CASE("ledger: a reservation counts against its pair while it is held, and gives its room back unless it is "
          "recorded",
          "[party][ledger]") {
    Ledger ledger;
    const ObjectUsage quota{2, 100};
    ObjectUsage before;
    {
        Ledger::Reservation first = ledger.reserve_within("me#s1", "me", quota, 60, before);
        REQUIRE(first);
        CHECK(usage_is(before, {0, 0}));
        CHECK(usage_is(ledger.made_by("me", "me#s1"), {1, 60}));
        // Another session of the same peer counts in the same pair.
        Ledger::Reservation too_large = ledger.reserve_within("me#s2", "me", quota, 41, before);
        CHECK_FALSE(too_large);
        CHECK(usage_is(before, {1, 60}));
        Ledger::Reservation fits = ledger.reserve_within("me#s2", "me", quota, 40, before);
        REQUIRE(fits);
        CHECK(usage_is(ledger.made_by("me", "me#s2"), {2, 100}));
        // At the object quota, even a result of a size not yet known (0).
        Ledger::Reservation third = ledger.reserve_within("me#s1", "me", quota, 0, before);
        CHECK_FALSE(third);
        CHECK(usage_is(before, {2, 100}));
        const Ledger::Added added = ledger.add_reserved(7, "me#s1", first, quota, 60);
        CHECK(added.added);
        CHECK(usage_is(added.before, {1, 40}));
        CHECK_FALSE(first); // used up
        CHECK(ledger.owns("me#s1", 7));
    } // `fits` goes unrecorded: its room comes back, the recorded object's stays
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {1, 60}));
    CHECK(ledger.size() == 1);
    ledger.forget(7);
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {0, 0}));
    CHECK(ledger.size() == 0);
}

TEST_CASE("ledger: a computation's result, reserved before its size is known, is kept only if it fits",
          "[party][ledger]") {
    Ledger ledger;
    const ObjectUsage quota{0, 100};
    ObjectUsage before;
    Ledger::Reservation kept = ledger.reserve_within("me#s1", "me", quota, 70, before);
    REQUIRE(kept);
    REQUIRE(ledger.add_reserved(1, "me#s1", kept, quota, 70).added);
    {
        Ledger::Reservation result = ledger.reserve_within("me#s1", "me", quota, 0, before);
        REQUIRE(result);
        const Ledger::Added refused = ledger.add_reserved(2, "me#s1", result, quota, 31);
        CHECK_FALSE(refused.added);
        CHECK(usage_is(refused.before, {1, 70}));
        CHECK(result); // still held: the caller deletes the result, and the room comes back
        CHECK_FALSE(ledger.owns("me#s1", 2));
    }
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {1, 70}));
    // The legal twin: one that fits.
    Ledger::Reservation result = ledger.reserve_within("me#s1", "me", quota, 0, before);
    REQUIRE(result);
    CHECK(ledger.add_reserved(2, "me#s1", result, quota, 30).added);
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {2, 100}));
}

TEST_CASE("ledger: a reservation is recorded once, at the ledger that holds it, under an id not yet recorded",
          "[party][ledger]") {
    Ledger ledger;
    Ledger other;
    const ObjectUsage quota{};
    ObjectUsage before;
    Ledger::Reservation elsewhere = other.reserve_within("me#s1", "me", quota, 1, before);
    CHECK_THROWS_AS(ledger.add_reserved(1, "me#s1", elsewhere, quota, 1), std::logic_error);
    Ledger::Reservation first = ledger.reserve_within("me#s1", "me", quota, 1, before);
    REQUIRE(ledger.add_reserved(1, "me#s1", first, quota, 1).added);
    CHECK_THROWS_AS(ledger.add_reserved(1, "me#s1", first, quota, 1), std::logic_error); // used up
    Ledger::Reservation same_id = ledger.reserve_within("me#s1", "me", quota, 1, before);
    CHECK_THROWS_AS(ledger.add_reserved(1, "me#s1", same_id, quota, 1), std::logic_error);
    Ledger::Reservation empty;
    CHECK_THROWS_AS(ledger.add_reserved(2, "me#s1", empty, quota, 1), std::logic_error);
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {2, 2})); // the object, and same_id still held
    CHECK(usage_is(other.made_by("me", "me#s1"), {1, 1}));
}

TEST_CASE("ledger: a gift to a requester not heard from counts for all such requesters of its giver, one heard from "
          "for that requester",
          "[party][ledger]") {
    Ledger ledger;
    const ObjectUsage quota{1, 0};
    ObjectUsage before;
    CHECK(ledger.for_whom("bob", "me#s1").empty());
    Ledger::Reservation to_me = ledger.reserve_within("me#s1", "bob", quota, 5, before);
    REQUIRE(to_me);
    // A made-up requester gets no room of its own.
    CHECK_FALSE(ledger.reserve_within("made_up#s1", "bob", quota, 5, before));
    CHECK(usage_is(before, {1, 5}));
    // Heard from, the requester has its own count for bob's gifts.
    ledger.heard_from("me#s1");
    CHECK(ledger.for_whom("bob", "me#s1") == "me");
    Ledger::Reservation heard = ledger.reserve_within("me#s1", "bob", quota, 5, before);
    CHECK(heard);
    CHECK(usage_is(before, {0, 0}));
    // What the peer makes for itself is its own pair.
    CHECK(ledger.for_whom("me", "me#s1") == "me");
}

TEST_CASE("ledger: an object moving away still counts until it is forgotten, and is its owner's again if restored",
          "[party][ledger]") {
    Ledger ledger;
    const ObjectUsage quota{};
    ObjectUsage before;
    for (const fedpp::ObjectId id : {1, 2}) {
        Ledger::Reservation reserved = ledger.reserve_within("me#s1", "me", quota, 10, before);
        REQUIRE(ledger.add_reserved(id, "me#s1", reserved, quota, 10).added);
    }
    ledger.remove(1);
    CHECK_FALSE(ledger.owns("me#s1", 1));
    CHECK(ledger.owned_by("me#s1").size() == 1);
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {2, 20}));
    ledger.restore(1);
    CHECK(ledger.owns("me#s1", 1));
    ledger.remove(2);
    ledger.forget(2); // (it arrived where it went)
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {1, 10}));
    ledger.restore(2); // nothing to restore
    CHECK_FALSE(ledger.owns("me#s1", 2));
}

TEST_CASE("ledger: the objects of a requester silent for longer than the lease expire, and stop counting",
          "[party][ledger]") {
    using namespace std::chrono_literals;
    Ledger ledger;
    const ObjectUsage quota{};
    ObjectUsage before;
    Ledger::Reservation reserved = ledger.reserve_within("me#s1", "me", quota, 10, before);
    REQUIRE(ledger.add_reserved(1, "me#s1", reserved, quota, 10).added);
    ledger.heard_from("me#s1");
    const auto now = Ledger::Clock::now();
    CHECK(ledger.expire(1min, now + 30s).empty()); // within the lease
    CHECK(ledger.owns("me#s1", 1));
    const auto expired = ledger.expire(1min, now + 2min);
    REQUIRE(expired.size() == 1);
    CHECK(expired.front() == 1);
    CHECK_FALSE(ledger.owns("me#s1", 1));
    CHECK(usage_is(ledger.made_by("me", "me#s1"), {0, 0}));
}

TEST_CASE("requester locks: one per requester with a request under way, none left once its requests end",
          "[party][ledger]") {
    // (That another requester's request is not held up by one under way is
    // test_network_hostile.cpp's "does not hold up another requester's",
    // across threads; the locks taken on one thread here are of distinct
    // requesters, each free.)
    fedpp::party::RequesterLocks locks;
    CHECK(locks.requesters() == 0);
    {
        const auto first = locks.lock("me#s1");
        const auto other = locks.lock("me#s2"); // (another requester: no wait, on this thread too)
        const auto third = locks.lock("bob");
        CHECK(locks.requesters() == 3);
    }
    CHECK(locks.requesters() == 0); // (a peer that makes up names holds nothing once its requests end)
    for (int k = 0; k < 1000; ++k) {
        const auto turn = locks.lock("me#made-up-" + std::to_string(k));
    }
    CHECK(locks.requesters() == 0);
}

TEST_CASE("traffic: a line opened before its value crossed counts only once it is added to", "[party][traffic]") {
    fedpp::party::Traffic traffic;
    traffic.open("in", "bob", "f64");
    traffic.open("out", "secure", "f64"); // opened for a value that then failed: shows nowhere
    traffic.add("out", "alice", "f64", 8); // never opened: counts nothing
    CHECK(traffic.lines().empty());
    traffic.add("in", "bob", "f64", 8);
    traffic.record("in", "bob", "f64", 16); // the same line
    traffic.record("in", "alice", "f64", 8);
    const auto lines = traffic.lines();
    REQUIRE(lines.size() == 2);
    CHECK((lines[0].peer == "alice" && lines[0].count == 1 && lines[0].bytes == 8));
    CHECK((lines[1].peer == "bob" && lines[1].direction == "in" && lines[1].count == 2 && lines[1].bytes == 24));
}
