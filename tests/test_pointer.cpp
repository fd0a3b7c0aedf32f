// Worker and Pointer semantics: send, get, move, copy, run, deletion, errors,
// and the transfer log.
#include "parties.hpp"

#include <fedpp/fedpp.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using fedpp::Tensor;
using fedpp::TransferKind;

TEST_CASE("send places a copy at the worker, get brings it back and deletes it there", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    fedpp::Worker<Secure> secure(hook);
    Tensor<double> local{{1, 2}};
    auto remote = fedpp::send(local, bob);
    CHECK(remote.valid());
    CHECK(remote.worker_name() == "bob");
    CHECK(bob.object_count() == 1);
    REQUIRE(bob.objects().size() == 1);
    CHECK(bob.objects()[0].type == "fedpp::Tensor<f64>");

    local.value()(0, 0) = 100; // the worker holds its own copy
    const auto back = fedpp::declassify<"test: the worker's copy is its own">(remote);
    CHECK(back.value()(0, 0) == 1);
    CHECK(bob.object_count() == 0);
    CHECK_FALSE(remote.valid());
    CHECK_THROWS_WITH(fedpp::declassify<"test">(remote),
                      Catch::Contains("the pointer is spent: declassify() already brought its value back"));
    CHECK_THROWS_AS(remote.copy(), fedpp::InvalidPointerError);
    CHECK_THROWS_AS(remote.move(secure), fedpp::InvalidPointerError);

    // A scalar may be read with get(), from anywhere.
    auto count = fedpp::send(std::int64_t{42}, bob);
    CHECK(count.get() == 42);
    CHECK(bob.object_count() == 0);
    CHECK_THROWS_WITH(count.get(), Catch::Contains("the pointer is spent: get() already brought its value back"));
}

namespace {
/// In-process workers behind a transport of a test's, which alters what
/// they answer (its deliver()).
class InProcessAltered : public fedpp::Transport {
public:
    void attach(fedpp::WorkerId id, std::string name, bool trusted) override {
        workers.attach(id, std::move(name), trusted);
    }
    void detach(fedpp::WorkerId id) noexcept override { workers.detach(id); }
    fedpp::InProcessTransport workers; // (public: a test publishes data there)
};

/// In-process workers whose next `lost_fetches` fetches fail as a lost
/// answer does over a network (fedpp::grpc: the party keeps the value).
class LosingFetches final : public InProcessAltered {
public:
    fedpp::Reply deliver(const fedpp::Request& request) override {
        if (request.operation == fedpp::Operation::fetch && lost_fetches > 0) {
            --lost_fetches;
            throw fedpp::NetworkError("test: the fetch's answer was lost on the way");
        }
        return workers.deliver(request);
    }
    int lost_fetches = 0;
};

/// In-process workers that carry out every request but answer the one of
/// `blank`'s kind without its object (object 0), as a broken or hostile
/// party could.
class AnsweringNoObject final : public InProcessAltered {
public:
    fedpp::Reply deliver(const fedpp::Request& request) override {
        fedpp::Reply reply = workers.deliver(request);
        if (blank && request.operation == *blank) {
            reply.object = 0;
        }
        return reply;
    }
    std::optional<fedpp::Operation> blank;
};
} // namespace

TEST_CASE("a get() or declassify() that fails leaves its pointer good, to fetch again", "[pointer]") {
    auto transport = std::make_unique<LosingFetches>();
    LosingFetches& network = *transport;
    fedpp::Federation hook("me", std::move(transport));
    fedpp::Worker<Bob> bob(hook);
    auto count = fedpp::send(std::int64_t{42}, bob);
    auto tensor = fedpp::send(Tensor<double>{{1, 2}}, bob);
    network.lost_fetches = 2;
    CHECK_THROWS_AS(count.get(), fedpp::NetworkError);
    CHECK_THROWS_AS(fedpp::declassify<"test: fetched again">(tensor), fedpp::NetworkError);
    CHECK(count.valid());
    CHECK(tensor.valid());
    CHECK(hook.transfers().size() == 2); // the two sends: nothing came back
    CHECK(count.get() == 42);
    CHECK(fedpp::declassify<"test: fetched again">(tensor).value()(0, 1) == 2);
    CHECK(bob.object_count() == 0);
}

TEST_CASE("an answer that names no object it made is an error, never a pointer to nothing", "[pointer]") {
    auto transport = std::make_unique<AnsweringNoObject>();
    AnsweringNoObject& network = *transport;
    fedpp::Federation hook("me", std::move(transport));
    fedpp::Worker<Bob> bob(hook);
    fedpp::Worker<Secure> secure(hook);
    network.workers.publish(bob.id(), "data", fedpp::detail::value_type<std::int64_t>(),
                             fedpp::to_bytes(std::int64_t{7}));
    auto count = fedpp::send(std::int64_t{42}, bob);
    const auto plus_one = [](const std::int64_t& n) { return n + 1; };
    const auto nothing = [](const std::int64_t&) {};
    const auto says_none = [](const std::string& operation) {
        return Catch::Contains("worker 'bob' answered " + operation + " without naming the object it made");
    };

    network.blank = fedpp::Operation::store;
    CHECK_THROWS_WITH(fedpp::send(std::int64_t{1}, bob), says_none("a send"));
    network.blank = fedpp::Operation::copy;
    CHECK_THROWS_WITH(count.copy(), says_none("a copy"));
    network.blank = fedpp::Operation::find;
    CHECK_THROWS_WITH(bob.find<std::int64_t>("data"), says_none("a find"));
    network.blank = fedpp::Operation::execute;
    CHECK_THROWS_AS(bob.run(plus_one, count), fedpp::RemoteObjectError);
    CHECK_THROWS_WITH(bob.run(plus_one, count), says_none("a computation with a result"));
    bob.run(nothing, count); // the twin: a computation without a result names none
    network.blank = fedpp::Operation::forward;
    CHECK_THROWS_WITH(count.move(secure),
                      Catch::Contains("worker 'secure_worker' answered a move without naming the object"));
    CHECK_FALSE(count.valid()); // bob says the value left

    network.blank.reset(); // the same requests, answered in full
    auto again = fedpp::send(std::int64_t{42}, bob);
    CHECK(again.copy().get() == 42);
    CHECK(bob.find<std::int64_t>("data").id() != 0);
    CHECK(bob.run(plus_one, again).get() == 43);
    CHECK(again.move(secure).get() == 42);
}

TEST_CASE("destroying the last pointer deletes the remote object", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    {
        auto a = fedpp::send(Tensor<float>{{1}}, bob);
        auto b = fedpp::send(Tensor<float>{{2}}, bob);
        CHECK(bob.object_count() == 2);
        auto c = std::move(a); // ownership moves, nothing is deleted
        CHECK(bob.object_count() == 2);
        CHECK_FALSE(a.valid()); // NOLINT(bugprone-use-after-move): testing the moved-from state
        CHECK_THROWS_WITH(a.copy(), Catch::Contains("moved from"));
        b = std::move(c); // b's old object is deleted
        CHECK(bob.object_count() == 1);
    }
    CHECK(bob.object_count() == 0);
}

TEST_CASE("move goes worker to worker, never through the model owner", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    fedpp::Worker<Secure> secure(hook);
    fedpp::Generator generator(1);
    const fedpp::nn::Linear<float> model(3, 2, generator);
    auto at_bob = fedpp::send(model.copy(), bob);
    const std::size_t mark = hook.transfers().size();

    auto at_secure = at_bob.move(secure);
    CHECK_FALSE(at_bob.valid());
    CHECK(at_secure.valid());
    CHECK(bob.object_count() == 0);
    CHECK(secure.object_count() == 1);
    CHECK_THROWS_WITH(at_bob.move(secure), Catch::Contains("move() already transferred"));

    const auto log = hook.transfers().entries(mark);
    REQUIRE(log.size() == 1);
    CHECK(log[0].kind == TransferKind::move);
    CHECK(log[0].from == "bob");
    CHECK(log[0].to == "secure_worker");
    CHECK(log[0].type == "fedpp::nn::Linear<f32>");
    CHECK(log[0].bytes == fedpp::to_bytes(model).size());

    // What arrived is a contribution: it may only be aggregated (get() does
    // not compile), so it is taken back here explicitly.
    const auto back = fedpp::declassify<"test: the moved model arrived intact">(at_secure);
    CHECK(back.weight().value() == model.weight().value());
}

TEST_CASE("moving to the current location is a no-op", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    auto p = fedpp::send(Tensor<float>{{1}}, bob);
    const auto id = p.id();
    const std::size_t transfers_before = hook.transfers().count();
    auto q = p.move(bob);
    CHECK(q.id() == id);
    CHECK(q.valid());
    CHECK_FALSE(p.valid());
    CHECK(bob.object_count() == 1);
    CHECK(hook.transfers().count() == transfers_before);
}

TEST_CASE("copy makes a second, independent object on the same worker", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    auto p = fedpp::send(Tensor<double>{{1, 2}}, bob);
    auto q = p.copy();
    CHECK(bob.object_count() == 2);
    CHECK(q.id() != p.id());
    bob.run([](Tensor<double>& t) { t.value().setZero(); }, q);
    CHECK(bob.run([](const Tensor<double>& t) { return t.value()(0, 1); }, p).get() == 2);
    CHECK(bob.run([](const Tensor<double>& t) { return t.value()(0, 1); }, q).get() == 0);
    CHECK(bob.object_count() == 2);
}

TEST_CASE("run computes where the data is and keeps the result there", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    fedpp::Generator generator(4);
    auto model = fedpp::send(fedpp::nn::Linear<double>(2, 1, generator), bob);
    auto data = fedpp::send(Tensor<double>{{1, 2}, {3, 4}}, bob);
    auto target = fedpp::send(Tensor<double>{{1}, {0}}, bob);
    const std::size_t mark = hook.transfers().size();

    auto step = [](fedpp::nn::Linear<double>& m, Tensor<double>& x, Tensor<double>& y) {
        fedpp::optim::SGD<double> opt(m.parameters(), 0.01);
        opt.zero_grad();
        auto loss = fedpp::nn::mse_loss(m(x), y, fedpp::nn::Reduction::sum);
        loss.backward();
        opt.step();
        return loss.item();
    };
    auto first = bob.run(step, model, data, target);
    static_assert(std::is_same_v<decltype(first), fedpp::Pointer<double, Bob>>);
    CHECK(bob.object_count() == 4); // model, data, target, the loss
    const double loss1 = first.get(); // a scalar may be read from a data owner
    const double loss2 = bob.run(step, model, data, target).get();
    CHECK(loss2 < loss1); // the model was trained in place at bob
    // Only the two losses crossed: no model, no data.
    const auto log = hook.transfers().entries(mark);
    REQUIRE(log.size() == 2);
    for (const auto& transfer : log) {
        CHECK(transfer.kind == TransferKind::get);
        CHECK(transfer.type == "f64");
    }
    // Remote tensor arithmetic runs there too.
    auto doubled = data + data;
    CHECK(bob.object_count() == 4);
    CHECK(fedpp::declassify<"test">(doubled).value()(1, 1) == 8);
}

TEST_CASE("values at two workers of one location type cannot be combined or moved between them",
          "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Client> one(hook, "client-1");
    fedpp::Worker<Client> two(hook, "client-2");
    auto a = fedpp::send(Tensor<float>{{1}}, one);
    auto b = fedpp::send(Tensor<float>{{2}}, two);
    CHECK_THROWS_WITH(one.run([](Tensor<float>&, Tensor<float>&) {}, a, b),
                      Catch::Contains("a value at 'client-2' cannot be combined with values at 'client-1'"));
    CHECK_THROWS_AS(a + b, fedpp::LocationError);
    CHECK_THROWS_WITH(a.move(two), Catch::Contains("two different data owners of the same location type"));
    CHECK(a.valid()); // nothing happened
    CHECK(one.object_count() == 1);
}

TEST_CASE("declassify is logged with its reason", "[pointer]") {
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    auto p = fedpp::send(Tensor<float>{{1}}, bob);
    const std::size_t mark = hook.transfers().size();
    const auto value = fedpp::declassify<"unit test">(std::move(p));
    CHECK(value.item() == 1.0f);
    const auto log = hook.transfers().entries(mark);
    REQUIRE(log.size() == 1);
    CHECK(log[0].kind == TransferKind::declassify);
    CHECK(log[0].reason == "unit test");
    CHECK(log[0].from == "bob");
    CHECK(log[0].to == "me");
    CHECK(bob.object_count() == 0);
}

TEST_CASE("workers: unique names, and a destroyed worker's pointers throw and die quietly", "[pointer]") {
    fedpp::Federation hook("model owner");
    CHECK(hook.model_owner_name() == "model owner");
    fedpp::Worker<Bob> bob(hook);
    CHECK_THROWS_AS(fedpp::Worker<Bob>(hook), fedpp::ArgumentError);
    fedpp::Pointer<float, Secure> orphan;
    {
        fedpp::Worker<Secure> secure(hook);
        orphan = fedpp::send(1.0f, secure);
    }
    CHECK_THROWS_WITH(orphan.get(), Catch::Contains("no longer exists"));
    fedpp::Worker<Secure> again(hook); // the name is free again
    CHECK(again.object_count() == 0);
}

TEST_CASE("a worker in another federation is another world", "[pointer]") {
    fedpp::Federation first;
    fedpp::Federation second;
    fedpp::Worker<Bob> bob(first);
    fedpp::Worker<Secure> secure(second);
    auto p = fedpp::send(Tensor<float>{{1}}, bob);
    CHECK_THROWS_AS(p.move(secure), fedpp::LocationError);
}

TEST_CASE("workers serve several threads at once", "[pointer][threads]") {
    fedpp::Federation hook;
    fedpp::Worker<Secure> secure(hook);
    std::vector<std::thread> threads;
    std::vector<double> sums(4);
    for (std::size_t t = 0; t < sums.size(); ++t) {
        threads.emplace_back([&, t] {
            double total = 0;
            for (int i = 0; i < 200; ++i) {
                auto p = fedpp::send(double(i), secure); // a scalar: at a trusted worker, run may take it
                auto q = secure.run([](double& x) { return 4 * x; }, p);
                total += q.get();
            }
            sums[t] = total;
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (double s : sums) {
        CHECK(s == 4.0 * 199 * 200 / 2);
    }
    CHECK(secure.object_count() == 0);
    CHECK(hook.transfers().count() == 4 * 200 * 2);
}

TEST_CASE("an object store keeps its objects by id, published data among them, with one shard or several",
          "[pointer][store]") {
    const auto& scalar = fedpp::detail::value_type<double>();
    for (const std::size_t shards : {std::size_t{1}, std::size_t{8}}) {
        INFO(shards << " shard(s)");
        fedpp::ObjectStore store("bob", shards > 1, shards);
        const auto bytes_of = [](double x) { return fedpp::to_bytes(x); };
        const auto stored = [&](double x) {
            const fedpp::Bytes bytes = bytes_of(x);
            return store.store(scalar, bytes, [] { return std::string("test"); });
        };
        const auto value_of = [&](fedpp::ObjectId id) {
            return fedpp::from_bytes<double>(store.encode(id, &scalar));
        };
        const fedpp::ObjectId first = stored(1);
        const fedpp::Bytes data = bytes_of(42);
        const fedpp::ObjectId published = store.publish("data", scalar, data);
        std::vector<fedpp::ObjectId> ids{first};
        for (int i = 2; i <= 5; ++i) { // stored after the published data, whose id is larger than any
            ids.push_back(stored(i));
        }
        CHECK(published > ids.back());
        CHECK(store.published("data", scalar) == published);
        store.erase(ids[2]);
        store.erase(ids[2]); // twice: nothing there
        store.erase(published); // published data stays
        CHECK(value_of(published) == 42);
        CHECK(value_of(ids[3]) == 4);
        CHECK(value_of(first) == 1);
        CHECK_THROWS_WITH(value_of(ids[2]), Catch::Contains("holds no object"));

        const fedpp::Reply listed = store.handle(fedpp::Request::list(0), [] { return std::string(); });
        std::vector<fedpp::ObjectId> listed_ids;
        for (const auto& info : listed.objects) {
            listed_ids.push_back(info.id);
        }
        CHECK(listed_ids == std::vector<fedpp::ObjectId>{ids[0], ids[1], ids[3], ids[4], published});
        CHECK(store.handle(fedpp::Request::count(0), [] { return std::string(); }).count == 5);

        const fedpp::Bytes other = bytes_of(43);
        CHECK(store.publish("data", scalar, other) == published); // published again: replaced
        CHECK(value_of(published) == 43);
        CHECK_THROWS_WITH(store.published("other", scalar), Catch::Contains("publishes nothing under 'other'"));
        store.close();
        CHECK_THROWS_WITH(value_of(first), Catch::Contains("no longer exists"));
    }
}

TEST_CASE("an object store erases its objects in any order and keeps the others", "[pointer][store]") {
    const auto& scalar = fedpp::detail::value_type<double>();
    fedpp::ObjectStore store("bob", false);
    const auto count = [&] { return store.handle(fedpp::Request::count(0), [] { return std::string(); }).count; };
    std::vector<fedpp::ObjectId> ids;
    for (int i = 0; i < 200; ++i) {
        const fedpp::Bytes bytes = fedpp::to_bytes(double(i));
        ids.push_back(store.store(scalar, bytes, [] { return std::string("test"); }));
    }
    // Erase every other one from the back, then every third of the rest
    // from the front: the empty entries are swept as they pile up.
    std::vector<bool> erased(ids.size(), false);
    std::size_t erased_count = 0;
    const auto erase = [&](std::size_t i) {
        store.erase(ids[i]);
        erased_count += erased[i] ? 0 : 1;
        erased[i] = true;
    };
    for (std::size_t i = ids.size(); i-- > 0;) {
        if (i % 2 == 1) {
            erase(i);
        }
    }
    for (std::size_t i = 0; i < ids.size(); i += 3) {
        erase(i);
    }
    erase(10); // again: nothing there
    CHECK(count() == ids.size() - erased_count);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (erased[i]) {
            CHECK_THROWS_WITH(store.encode(ids[i], &scalar), Catch::Contains("holds no object"));
        } else {
            CHECK(fedpp::from_bytes<double>(store.encode(ids[i], &scalar)) == double(i));
        }
    }
    const fedpp::Bytes next = fedpp::to_bytes(1000.0);
    const fedpp::ObjectId later = store.store(scalar, next, [] { return std::string("test"); });
    CHECK(later > ids.back());
    const auto listed = store.handle(fedpp::Request::list(0), [] { return std::string(); }).objects;
    REQUIRE(listed.size() == ids.size() - erased_count + 1);
    CHECK(std::is_sorted(listed.begin(), listed.end(),
                         [](const fedpp::ObjectInfo& a, const fedpp::ObjectInfo& b) { return a.id < b.id; }));
    CHECK(listed.back().id == later);
}

namespace {
// A computation that reads its input only once the test has erased it.
std::atomic<bool> computation_started{false};
std::atomic<bool> input_erased{false};
std::atomic<double> sum_read{0};
std::unique_ptr<fedpp::detail::RemoteObject> sum_once_erased(const fedpp::Invocation& invocation) {
    computation_started = true;
    while (!input_erased) {
        std::this_thread::yield();
    }
    const auto& input = static_cast<fedpp::detail::RemoteValue<Tensor<double>>&>(*invocation.objects[0]).value;
    sum_read = input.value().sum();
    return nullptr;
}
} // namespace

TEST_CASE("an object erased while a computation uses it lives until the computation is done",
          "[pointer][store][threads]") {
    // A peer may erase what a computation of its own, or of another peer,
    // is using; the party must not free it under the computation.
    const auto& tensor = fedpp::detail::value_type<Tensor<double>>();
    fedpp::ObjectStore store("bob", false);
    const fedpp::Bytes bytes = fedpp::to_bytes(Tensor<double>{{1, 2, 3, 4}});
    const fedpp::ObjectId id = store.store(tensor, bytes, [] { return std::string("test"); });
    const fedpp::Computation computation{"", &sum_once_erased, {&tensor}};
    const fedpp::ObjectRef input{id, &tensor};
    const fedpp::Bytes no_arguments;
    std::thread running([&] {
        (void)store.handle(fedpp::Request::execute(0, computation, std::span(&input, 1), no_arguments),
                           [] { return std::string(); });
    });
    while (!computation_started) {
        std::this_thread::yield();
    }
    store.erase(id);
    CHECK(store.handle(fedpp::Request::count(0), [] { return std::string(); }).count == 0);
    input_erased = true;
    running.join();
    CHECK(sum_read == 10.0);
}

TEST_CASE("a value is forwarded in place only into an aggregation that reads it, at a trusted worker, otherwise "
          "nothing leaves its worker",
          "[pointer][store][privacy]") {
    // What a model owner's hostile or mistaken request would try: hand a data
    // owner's model to another data owner, to a computation at the
    // aggregator that could keep it or pass it on (or one dressed up as
    // fedpp's), or the worker's published data.
    using Linear = fedpp::nn::Linear<double>;
    using Sum = fedpp::WeightedSum<Linear>;
    fedpp::InProcessTransport transport;
    transport.attach(1, "bob", false);
    transport.attach(2, "secure_worker", true);
    transport.attach(3, "eve", false);
    const auto& model_type = fedpp::detail::value_type<Linear>();
    const auto& sum_type = fedpp::detail::value_type<Sum>();
    const Linear model(fedpp::Matrix<double>{{1, 2}}, fedpp::Matrix<double>{{3}});
    const fedpp::Bytes model_bytes = fedpp::to_bytes(model);
    const fedpp::Bytes sum_bytes = fedpp::to_bytes(Sum(model));
    const auto store = [&](fedpp::WorkerId at, const fedpp::ValueType& type, const fedpp::Bytes& bytes) {
        return transport.deliver(fedpp::Request::store(fedpp::model_owner_id, at, type, bytes)).object;
    };
    const auto count = [&](fedpp::WorkerId at) { return transport.deliver(fedpp::Request::count(at)).count; };
    const fedpp::ObjectId at_bob = store(1, model_type, model_bytes);
    const fedpp::ObjectRef sum_at_secure{store(2, sum_type, sum_bytes), &sum_type};
    const fedpp::ObjectRef sum_at_eve{store(3, sum_type, sum_bytes), &sum_type};
    fedpp::Bytes weight;
    fedpp::ByteWriter(weight).write(1.0);
    const auto& accumulate = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<Linear>>();
    const auto forward_into = [&](fedpp::WorkerId destination, const fedpp::Computation& computation,
                                  const fedpp::ObjectRef& input, fedpp::ObjectId object = 0,
                                  fedpp::WorkerId from = 1) {
        return transport.deliver(fedpp::Request::forward_into(from, object != 0 ? object : at_bob, model_type,
                                                              destination, computation, std::span(&input, 1),
                                                              weight));
    };
    const auto keep_a_copy = [](const fedpp::Invocation& invocation) {
        const auto& value = static_cast<fedpp::detail::RemoteValue<Linear>&>(*invocation.objects[1]).value;
        return std::unique_ptr<fedpp::detail::RemoteObject>(
            std::make_unique<fedpp::detail::RemoteValue<Tensor<double>>>(value.weight())); // the client's tensor
    };
    const auto yes = [](const fedpp::detail::RemoteObject&) { return true; };
    bool secure_left = false;

    SECTION("into another data owner's computation") {
        CHECK_THROWS_WITH(forward_into(3, accumulate, sum_at_eve), Catch::Contains("only if it is one of fedpp's"));
    }
    SECTION("into an aggregation that keeps what it is given (fedavg's)") {
        const auto& fedavg =
            fedpp::detail::computation_of<fedpp::detail::AggregationComputation<Linear, fedpp::detail::FedAvg>>();
        REQUIRE(fedavg.aggregation);
        CHECK_THROWS_WITH(forward_into(2, fedavg, sum_at_secure), Catch::Contains("keeps nothing of it"));
    }
    SECTION("into a computation of the caller's own, plain or dressed up as one of fedpp's") {
        const fedpp::Computation plain{"", keep_a_copy, {&sum_type, &model_type}};
        CHECK_THROWS_AS(forward_into(2, plain, sum_at_secure), fedpp::RemoteObjectError);
        const fedpp::Computation flagged{"", keep_a_copy, {&sum_type, &model_type}, false, true, +yes};
        CHECK_THROWS_AS(forward_into(2, flagged, sum_at_secure), fedpp::RemoteObjectError);
        const fedpp::Computation named{accumulate.name, keep_a_copy, {&sum_type, &model_type}, false, true, +yes};
        CHECK_THROWS_AS(forward_into(2, named, sum_at_secure), fedpp::RemoteObjectError);
    }
    SECTION("the worker's published data, which stays where it is") {
        const fedpp::ObjectId published = transport.publish(1, "bobs-model", model_type, model_bytes);
        CHECK_THROWS_WITH(forward_into(2, accumulate, sum_at_secure, published), Catch::Contains("published"));
        CHECK(count(1) == 2);
        transport.deliver(fedpp::Request::erase(1, published)); // (stays: published)
    }
    SECTION("from the aggregator itself, to itself") {
        const fedpp::ObjectId at_secure = store(2, model_type, model_bytes);
        CHECK_THROWS_WITH(forward_into(2, accumulate, sum_at_secure, at_secure, 2),
                          Catch::Contains("only a data owner forwards"));
        CHECK(count(2) == 2);
        transport.deliver(fedpp::Request::erase(2, at_secure));
    }
    SECTION("into a sum that is not there") {
        const fedpp::ObjectRef missing{sum_at_secure.id + 1000, &sum_type};
        CHECK_THROWS_AS(forward_into(2, accumulate, missing), fedpp::RemoteObjectError);
    }
    SECTION("to a worker that left") {
        transport.detach(2);
        secure_left = true;
        CHECK_THROWS_WITH(forward_into(2, accumulate, sum_at_secure), Catch::Contains("no longer exists"));
    }
    // Refused before anything crossed: the model is still Bob's, and nothing
    // new is at the others.
    if (!secure_left) {
        CHECK(count(2) == 1);
    }
    CHECK(count(3) == 1);
    CHECK(transport.deliver(fedpp::Request::fetch(1, at_bob, model_type, TransferKind::get)).payload == model_bytes);
}

namespace {
/// A user's model (nn::Model) with a for_each_parameter that skips its
/// bias: the in-place check must not rely on it, and looks at parameters().
struct UserModel {
    using scalar_type = double;
    fedpp::Tensor<double> weight{{1, 2}};
    fedpp::Tensor<double> bias{{3}};
    [[nodiscard]] std::vector<fedpp::Tensor<double>> parameters() const { return {weight, bias}; }
    [[nodiscard]] UserModel copy() const {
        return {fedpp::Tensor<double>(weight.value()), fedpp::Tensor<double>(bias.value())};
    }
    template <class F>
    void for_each_parameter(F&& f) const {
        f(weight); // (not the bias)
    }
};
static_assert(fedpp::nn::Model<UserModel>);
} // namespace

TEST_CASE("an update is read in place only if it alone holds its parameters", "[pointer][store][privacy]") {
    // Another object sharing its tensors could change them between the
    // sum's check and its add (a NaN slipping in): such an update is read
    // from a private copy.
    using Linear = fedpp::nn::Linear<double>;
    const auto& accumulate = fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<Linear>>();
    REQUIRE(accumulate.reads_in_place != nullptr);
    const fedpp::detail::RemoteValue<Linear> alone(Linear(fedpp::Matrix<double>{{1, 2}}, fedpp::Matrix<double>{{3}}));
    CHECK(accumulate.reads_in_place(alone));
    {
        const auto shared = alone.value.parameters(); // handles on the same tensors
        CHECK_FALSE(accumulate.reads_in_place(alone));
        const fedpp::detail::RemoteValue<Linear> copied(alone.value.copy());
        CHECK(accumulate.reads_in_place(copied));
    }
    CHECK(accumulate.reads_in_place(alone));
    // A Sequential: any one of its layers' tensors shared is enough.
    using Sequential = fedpp::nn::Sequential<double>;
    const auto& accumulate_sequential =
        fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<Sequential>>();
    fedpp::Generator generator(4);
    const fedpp::detail::RemoteValue<Sequential> model(Sequential(
        fedpp::nn::Linear<double>(3, 2, generator), fedpp::nn::ReLU{}, fedpp::nn::Linear<double>(2, 1, generator)));
    CHECK(accumulate_sequential.reads_in_place(model));
    {
        const fedpp::Tensor<double> last_bias = std::get<Linear>(model.value[2]).bias();
        CHECK_FALSE(accumulate_sequential.reads_in_place(model));
    }
    CHECK(accumulate_sequential.reads_in_place(model));
    // ... and a Sequential with a convolution.
    const fedpp::detail::RemoteValue<Sequential> cnn(Sequential(
        fedpp::nn::Conv2d<double>(fedpp::ImageShape{1, 4, 4}, 2, {3, 3}, generator), fedpp::nn::Flatten{},
        fedpp::nn::Linear<double>(2 * 2 * 2, 1, generator)));
    CHECK(accumulate_sequential.reads_in_place(cnn));
    {
        const fedpp::Tensor<double> kernel = std::get<fedpp::nn::Conv2d<double>>(cnn.value[0]).weight();
        CHECK_FALSE(accumulate_sequential.reads_in_place(cnn));
    }
    CHECK(accumulate_sequential.reads_in_place(cnn));
    // A user's model is judged by its parameters(), whatever else it has.
    const UserModel user;
    CHECK(fedpp::detail::holds_parameters_alone(user));
    {
        const fedpp::Tensor<double> shared_bias = user.bias;
        CHECK_FALSE(fedpp::detail::holds_parameters_alone(user));
    }
    CHECK(fedpp::detail::holds_parameters_alone(user));
    const fedpp::detail::RemoteValue<fedpp::Tensor<double>> tensor(fedpp::Tensor<double>{{1}});
    CHECK(fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<fedpp::Tensor<double>>>().reads_in_place(
        tensor));
    const fedpp::Tensor<double> shared = tensor.value;
    CHECK_FALSE(fedpp::detail::computation_of<fedpp::detail::AccumulateComputation<fedpp::Tensor<double>>>()
                    .reads_in_place(tensor));
}
