// The erases a model owner's transport sends after each fetch, and sends
// again when a party did not answer (src/grpc/unerased_fetches.hpp), on
// their own: a party that is down cannot be told apart from one whose
// answer was lost, and a value left there would stay for the session.
#include "unerased_fetches.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <vector>

namespace {

using fedpp::ObjectId;
using fedpp::grpc::detail::UnerasedFetches;
using Objects = std::vector<ObjectId>;

/// A party as the erases see it: what was sent to it, and which objects'
/// erases it leaves unanswered (a NetworkError) or refuses (another Error).
struct ErasingParty {
    Objects sent;
    std::set<ObjectId> unanswered;
    std::set<ObjectId> refused;

    /// What the transport's erases are sent through.
    [[nodiscard]] auto send() {
        return [this](ObjectId object) { receive(object); };
    }

    void receive(ObjectId object) {
        sent.push_back(object);
        if (unanswered.contains(object)) {
            throw fedpp::NetworkError("no answer");
        }
        if (refused.contains(object)) {
            throw fedpp::RemoteObjectError("not yours");
        }
    }
};

} // namespace

TEST_CASE("unerased fetches: an erase without an answer is kept with those after it and sent again before the "
          "next request, in order",
          "[network][erase]") {
    UnerasedFetches erases;
    ErasingParty bob;
    bob.unanswered = {2};
    erases.erase("bob", {1, 2, 3}, bob.send());
    CHECK(bob.sent == Objects{1, 2}); // (3 does not wait for another timeout)
    CHECK(erases.left_at("bob") == Objects{2, 3});

    // Still down: the first erase again, and nothing more; a new fetch's
    // erase waits behind them.
    bob.sent.clear();
    erases.erase_left("bob", bob.send());
    CHECK(bob.sent == Objects{2});
    erases.erase("bob", {4}, [](ObjectId) { throw fedpp::NetworkError("no answer"); });
    CHECK(erases.left_at("bob") == Objects{2, 3, 4});

    // Back: all of them, oldest first, then none is left.
    bob.sent.clear();
    bob.unanswered.clear();
    erases.erase_left("bob", bob.send());
    CHECK(bob.sent == Objects{2, 3, 4});
    CHECK(erases.left_at("bob").empty());
    bob.sent.clear();
    erases.erase_left("bob", bob.send());
    CHECK(bob.sent.empty());
}

TEST_CASE("unerased fetches: a refused erase is settled, and one party's unanswered erases are not sent to another",
          "[network][erase]") {
    UnerasedFetches erases;
    ErasingParty bob;
    bob.refused = {1}; // (its erase arrived before, its answer lost: gone already)
    erases.erase("bob", {1, 2}, bob.send());
    CHECK(bob.sent == Objects{1, 2});
    CHECK(erases.left_at("bob").empty());

    ErasingParty alice;
    alice.unanswered = {7};
    erases.erase("alice", {7}, alice.send());
    CHECK(erases.left_at("alice") == Objects{7});
    bob.sent.clear();
    erases.erase_left("bob", bob.send());
    CHECK(bob.sent.empty());
    alice.unanswered.clear();
    erases.erase_left("alice", alice.send());
    CHECK(alice.sent == Objects{7, 7});
    CHECK(erases.left_at("alice").empty());
}
