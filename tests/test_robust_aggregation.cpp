// Streaming WeightedSum, coordinate-wise median and trimmed mean.
#include "parties.hpp"

#include <fedpp/fedpp.hpp>
#include <fedpp/aggregation/robust.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

using fedpp::Tensor;
using Matrix = fedpp::Matrix<double>;
using Linear = fedpp::nn::Linear<double>;

namespace {
/// Each row contributed to `secure` by a data owner of its own.
std::vector<fedpp::Pointer<Tensor<double>, Secure>> send_all(Contributors& owners, fedpp::Worker<Secure>& secure,
                                                              const std::vector<std::vector<double>>& rows) {
    std::vector<fedpp::Pointer<Tensor<double>, Secure>> out;
    for (const auto& row : rows) {
        Matrix m(1, static_cast<fedpp::Index>(row.size()));
        for (std::size_t j = 0; j < row.size(); ++j) {
            m(0, static_cast<fedpp::Index>(j)) = row[j];
        }
        out.push_back(owners.contribute(Tensor<double>(m), secure));
    }
    return out;
}
} // namespace

TEST_CASE("coordinate-wise median, odd and even counts, robust to outliers", "[aggregation]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    auto odd = send_all(owners, secure, {{1, 10}, {3, -5}, {2, 1e30}});
    const Tensor<double> median = fedpp::coordinate_median(odd).get();
    CHECK(median.value()(0, 0) == 2);
    CHECK(median.value()(0, 1) == 10); // 1e30 from one client does not move it
    auto even = send_all(owners, secure, {{1, 0}, {4, 0}, {2, 0}, {100, 8}});
    const Tensor<double> even_median = fedpp::coordinate_median(even).get();
    CHECK(even_median.value()(0, 0) == 3); // midpoint of 2 and 4
    CHECK(even_median.value()(0, 1) == 0);
    CHECK(secure.object_count() == 7); // inputs untouched and still there
}

TEST_CASE("trimmed mean drops the extremes of each coordinate", "[aggregation]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    auto models = send_all(owners, secure, {{1, -1000}, {2, 1}, {3, 2}, {4, 3}, {1000, 4}});
    const auto trimmed = fedpp::trimmed_mean(models, 0.2).get(); // floor(0.2 * 5) = 1 from each end
    CHECK(trimmed.contributions() == 5);
    CHECK(trimmed.model().value()(0, 0) == 3);
    CHECK(trimmed.model().value()(0, 1) == 2);
    const Tensor<double> untrimmed = fedpp::trimmed_mean(models, 0.0).get();
    CHECK(untrimmed.value()(0, 0) == fedpp::fedavg(models).get().model().value()(0, 0));
    CHECK_THROWS_AS(fedpp::trimmed_mean(models, 0.5), fedpp::AggregationError);
    CHECK_THROWS_AS(fedpp::trimmed_mean(models, -0.1), fedpp::AggregationError);
}

TEST_CASE("robust aggregation of models, and bad input rejected", "[aggregation]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    std::vector<fedpp::Pointer<Linear, Secure>> models;
    models.push_back(owners.contribute(Linear(Matrix{{1, 2}}, Matrix{{0}}), secure));
    models.push_back(owners.contribute(Linear(Matrix{{3, 2}}, Matrix{{1}}), secure));
    models.push_back(owners.contribute(Linear(Matrix{{2, 9}}, Matrix{{5}}), secure));
    const Linear median = fedpp::coordinate_median(models).get();
    CHECK(median.weight().value() == Matrix{{2, 2}});
    CHECK(median.bias().value() == Matrix{{1}});

    models.push_back(
        owners.contribute(Linear(Matrix{{std::numeric_limits<double>::quiet_NaN(), 2}}, Matrix{{0}}), secure));
    CHECK_THROWS_WITH(fedpp::coordinate_median(models), Catch::Contains("parameter 0 of model 3 holds NaN"));
    models.back() = owners.contribute(Linear(Matrix{{1, 2, 3}}, Matrix{{0}}), secure);
    CHECK_THROWS_AS(fedpp::trimmed_mean(models, 0.1), fedpp::ShapeError);
    std::vector<fedpp::Pointer<Linear, Secure>> none;
    CHECK_THROWS_AS(fedpp::coordinate_median(none), fedpp::AggregationError);
}

TEST_CASE("WeightedSum adds all-or-nothing and averages by weight", "[aggregation]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    Contributors owners(hook);
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    auto sum = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    fedpp::accumulate(sum, owners.contribute(Linear(Matrix{{1, 1}}, Matrix{{1}}), secure), 1.0);
    // One data owner's update is not yet an aggregate.
    CHECK_THROWS_AS(fedpp::average_of(sum), fedpp::InsufficientContributionsError);
    fedpp::accumulate(sum, owners.contribute(Linear(Matrix{{5, 9}}, Matrix{{3}}), secure), 3.0);
    CHECK(secure.object_count() == 1); // updates are deleted once added
    CHECK_THROWS_AS(fedpp::accumulate(sum, owners.contribute(Linear(Matrix{{1, 2, 3}}, Matrix{{1}}), secure), 1.0),
                    fedpp::ShapeError);
    CHECK_THROWS_AS(fedpp::accumulate(sum,
                                      owners.contribute(Linear(Matrix{{std::numeric_limits<double>::infinity(), 0}},
                                                               Matrix{{0}}),
                                                        secure),
                                      1.0),
                    fedpp::AggregationError);
    CHECK_THROWS_AS(fedpp::accumulate(sum, owners.contribute(reference.copy(), secure), -1.0),
                    fedpp::AggregationError);
    CHECK(secure.object_count() == 1); // rejected updates are deleted too
    const Linear average = fedpp::average_of(sum).get();
    CHECK(average.weight().value() == Matrix{{4, 7}}); // (1 + 15) / 4, (1 + 27) / 4
    CHECK(average.bias().value() == Matrix{{2.5}});

    auto empty = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    CHECK_THROWS_AS(fedpp::average_of(empty), fedpp::InsufficientContributionsError);
    CHECK_THROWS_WITH(fedpp::WeightedSum<Linear>(reference).average(), Catch::Contains("nothing to average"));
    fedpp::WeightedSum<Linear> one(reference);
    one.add(Linear(Matrix{{1, 2}}, Matrix{{3}}), 2.0);
    const auto round_trip = fedpp::from_bytes<fedpp::WeightedSum<Linear>>(fedpp::to_bytes(one));
    CHECK(round_trip.count() == 1);
    CHECK(round_trip.total_weight() == 2.0);
    CHECK(round_trip.average().weight().value() == Matrix{{1, 2}});
}

TEST_CASE("a streaming sum counts each data owner once, and only with a positive weight", "[aggregation][privacy]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    fedpp::Worker<Client> carol(hook, "carol");
    fedpp::Worker<Client> dave(hook, "dave");
    auto sum = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    // Carol twice (two models of hers), Dave with a weight of zero.
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{1, 1}}, Matrix{{1}}), carol).move(secure), 1.0);
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{3, 3}}, Matrix{{3}}), carol).move(secure), 1.0);
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{5, 5}}, Matrix{{5}}), dave).move(secure), 0.0);
    CHECK_THROWS_AS(fedpp::average_of(sum), fedpp::InsufficientContributionsError);
    // The model owner's own model is not added at all: +V and -V of its own
    // would cancel every data owner's update but the last out of the sum.
    CHECK_THROWS_WITH(fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{7, 7}}, Matrix{{7}}), secure), 1.0),
                      Catch::Contains("the update is not a data owner's contribution"));
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{2, 2}}, Matrix{{2}}), dave).move(secure), 1.0);
    const auto average = fedpp::average_of(sum).get();
    CHECK(average.contributions() == 2);
    CHECK(average.model().weight().value() == Matrix{{2, 2}}); // (1 + 3 + 0 + 2) / 3
    // Released: the sum takes nothing more, and is not released again,
    // until it is reset (two releases would tell what came in between).
    CHECK_THROWS_AS(fedpp::average_of(sum), fedpp::PermissionDeniedError);
    CHECK_THROWS_WITH(fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{4, 4}}, Matrix{{4}}), dave).move(secure), 1.0),
                      Catch::Contains("this sum's average was released"));
    fedpp::reset(sum);
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{1, 1}}, Matrix{{1}}), carol).move(secure), 1.0);
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{3, 3}}, Matrix{{3}}), dave).move(secure), 1.0);
    CHECK(fedpp::average_of(sum).get().model().bias().value() == Matrix{{2}});

    // Merging moves a part's contributions into the sum and empties the part,
    // so that they cannot be counted twice.
    auto total = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    auto part = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    fedpp::accumulate(part, fedpp::send(Linear(Matrix{{1, 1}}, Matrix{{1}}), carol).move(secure), 1.0);
    fedpp::merge(total, part);
    fedpp::merge(total, part);
    CHECK_THROWS_AS(fedpp::average_of(total), fedpp::InsufficientContributionsError);
    fedpp::accumulate(part, fedpp::send(Linear(Matrix{{3, 3}}, Matrix{{3}}), dave).move(secure), 1.0);
    fedpp::merge(total, part);
    CHECK(fedpp::average_of(total).get().model().bias().value() == Matrix{{2}});
}

TEST_CASE("a data owner counts with its weights added, and not below min_weight_ratio of the largest",
          "[aggregation][privacy]") {
    // (A served aggregator's rule, party::Policy::min_weight_ratio; in one
    // process the ratio is 0: any positive weight counts.)
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    const Linear model(Matrix{{1, 1}}, Matrix{{1}});
    const double w7 = std::ldexp(1.0, -7); // powers of two: sums exact
    fedpp::WeightedSum<Linear> sum(reference);
    sum.add(sum.check(model), 1.0, 1);
    sum.add(sum.check(model), w7, 2); // data owner 2, twice: 2^-6 in all
    sum.add(sum.check(model), w7, 2);
    sum.add(sum.check(model), 1e-300, 3);
    sum.add(sum.check(model), 5.0); // the model owner's own: no data owner's, and no measure of theirs
    CHECK(sum.contributions() == 3);
    CHECK(sum.contributions(std::ldexp(1.0, -6)) == 2);
    CHECK(sum.contributions(std::ldexp(1.0, -5)) == 1);
    // Merging adds a data owner's weights across the parts.
    fedpp::WeightedSum<Linear> part(reference);
    part.add(part.check(model), std::ldexp(1.0, -6), 2); // 2^-5 in all
    part.add(part.check(model), 2.0, 4);
    sum.merge(part);
    CHECK(sum.contributions() == 4);
    CHECK(sum.contributions(std::ldexp(1.0, -6)) == 3); // at least 2^-5: 1, 2 and 4
    CHECK(sum.contributions(std::ldexp(1.0, -5)) == 2);
    CHECK(sum.contributions(1.0) == 1);
    // fedavg's count over its inputs, by the same rule.
    const std::vector<fedpp::ContributorId> ids{1, 2, 2, 3, fedpp::no_contributor, 4};
    const std::vector<double> weights{1.0, w7, w7, 1e-300, 5.0, 0.0};
    const auto owners = fedpp::detail::contributor_weights(ids, weights);
    REQUIRE(owners.size() == 4);
    CHECK(owners[1].weight == std::ldexp(1.0, -6));
    CHECK(fedpp::detail::counted_contributors(owners, 0) == 3); // not 4, whose weight is 0
    CHECK(fedpp::detail::counted_contributors(owners, std::ldexp(1.0, -6)) == 2);
    CHECK(fedpp::detail::counted_contributors(owners, std::ldexp(1.0, -5)) == 1);
}

TEST_CASE("accumulate straight from a data owner: the same sum as moving first, the update never stored at "
          "the aggregator, its move logged",
          "[aggregation][privacy]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    fedpp::Worker<Client> carol(hook, "carol");
    fedpp::Worker<Client> dave(hook, "dave");
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    const Linear carols(Matrix{{0.1, 1.0 / 3}}, Matrix{{-2.5}});
    const Linear daves(Matrix{{7, 1e-9}}, Matrix{{0.3}});

    auto moved_first = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    fedpp::accumulate(moved_first, fedpp::send(carols.copy(), carol).move(secure), 3.0);
    fedpp::accumulate(moved_first, fedpp::send(daves.copy(), dave).move(secure), 0.7);

    auto straight = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    auto at_carol = fedpp::send(carols.copy(), carol);
    const std::size_t mark = hook.transfers().size();
    fedpp::accumulate(straight, std::move(at_carol), 3.0);
    CHECK_FALSE(at_carol.valid()); // spent: the update crossed
    CHECK(carol.object_count() == 0);
    CHECK(secure.object_count() == 2); // the two sums: the update was never stored there
    const auto log = hook.transfers().entries(mark);
    REQUIRE(log.size() == 1);
    CHECK(log[0].kind == fedpp::TransferKind::move);
    CHECK(log[0].from == "carol");
    CHECK(log[0].to == "secure_worker");
    CHECK(log[0].type == "fedpp::nn::Linear<f64>");
    CHECK(log[0].bytes == fedpp::to_bytes(carols).size());
    fedpp::accumulate(straight, fedpp::send(daves.copy(), dave), 0.7);

    // Bitwise the same average, and the same two data owners counted.
    const auto expected = fedpp::average_of(moved_first).get();
    const auto got = fedpp::average_of(straight).get();
    CHECK(got.contributions() == 2);
    CHECK(got.model().weight().value() == expected.model().weight().value());
    CHECK(got.model().bias().value() == expected.model().bias().value());
}

TEST_CASE("accumulate straight from a data owner: a rejected update has crossed and is gone, one that could "
          "not cross stays",
          "[aggregation]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    fedpp::Worker<Client> carol(hook, "carol");
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    auto sum = fedpp::send(fedpp::WeightedSum<Linear>(reference), secure);
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{1, 1}}, Matrix{{1}}), carol), 2.0);

    // Refused by the sum (all-or-nothing): the update crossed, so it is spent
    // and gone from the data owner, its move is logged, and the sum is as it was.
    const std::size_t mark = hook.transfers().size();
    auto bad = fedpp::send(Linear(Matrix{{std::numeric_limits<double>::quiet_NaN(), 0}}, Matrix{{0}}), carol);
    CHECK_THROWS_AS(fedpp::accumulate(sum, std::move(bad), 1.0), fedpp::AggregationError);
    CHECK_FALSE(bad.valid());
    auto misshapen = fedpp::send(Linear(Matrix{{1, 2, 3}}, Matrix{{1}}), carol);
    CHECK_THROWS_AS(fedpp::accumulate(sum, std::move(misshapen), 1.0), fedpp::ShapeError);
    auto negative = fedpp::send(reference.copy(), carol);
    CHECK_THROWS_AS(fedpp::accumulate(sum, std::move(negative), -1.0), fedpp::AggregationError);
    CHECK(carol.object_count() == 0);
    CHECK(secure.object_count() == 1);
    std::size_t moves = 0;
    for (const auto& transfer : hook.transfers().entries(mark)) {
        moves += transfer.kind == fedpp::TransferKind::move && transfer.from == "carol" ? 1 : 0;
    }
    CHECK(moves == 3);

    // A sum in another federation: nothing crosses, the update stays.
    fedpp::Federation elsewhere;
    fedpp::Worker<Secure> other_secure(elsewhere);
    auto other_sum = fedpp::send(fedpp::WeightedSum<Linear>(reference), other_secure);
    auto kept = fedpp::send(Linear(Matrix{{3, 3}}, Matrix{{3}}), carol);
    CHECK_THROWS_AS(fedpp::accumulate(other_sum, std::move(kept), 1.0), fedpp::LocationError);
    CHECK(kept.valid());
    CHECK(carol.object_count() == 1);

    // The sum's worker is gone: nothing crosses either.
    std::optional<fedpp::Pointer<fedpp::WeightedSum<Linear>, Secure>> orphan;
    {
        fedpp::Worker<Secure> leaving(hook, "leaving");
        orphan.emplace(fedpp::send(fedpp::WeightedSum<Linear>(reference), leaving));
    }
    CHECK_THROWS_AS(fedpp::accumulate(*orphan, std::move(kept), 1.0), fedpp::RemoteObjectError);
    CHECK(kept.valid());
    CHECK(carol.object_count() == 1);

    fedpp::accumulate(sum, std::move(kept), 2.0);
    fedpp::Worker<Client> dave(hook, "dave");
    fedpp::accumulate(sum, fedpp::send(Linear(Matrix{{2, 2}}, Matrix{{2}}), dave), 4.0);
    const auto average = fedpp::average_of(sum).get(); // (2 * 1 + 2 * 3 + 4 * 2) / 8
    CHECK(average.contributions() == 2);
    CHECK(average.model().weight().value() == Matrix{{2, 2}});
    CHECK(average.model().bias().value() == Matrix{{2}});
}

TEST_CASE("WeightedSum::merge adds another sum, weights and counts included", "[aggregation]") {
    const Linear reference(Matrix{{0, 0}}, Matrix{{0}});
    fedpp::WeightedSum<Linear> first(reference);
    first.add(Linear(Matrix{{1, 1}}, Matrix{{1}}), 1.0);
    fedpp::WeightedSum<Linear> second(reference);
    second.add(Linear(Matrix{{5, 9}}, Matrix{{3}}), 3.0);
    first.merge(second);
    CHECK(first.count() == 2);
    CHECK(first.total_weight() == 4.0);
    CHECK(first.average().weight().value() == Matrix{{4, 7}});
    CHECK(first.average().bias().value() == Matrix{{2.5}});
    CHECK(second.count() == 1); // the merged sum is left as it was

    fedpp::WeightedSum<Linear> other_layout(Linear(Matrix{{0, 0, 0}}, Matrix{{0}}));
    CHECK_THROWS_AS(first.merge(other_layout), fedpp::ShapeError);
    CHECK(first.count() == 2); // nothing changed
}
