#include <fedpp/loaders.hpp>
#include <fedpp/fedpp.hpp>

#include <cstdio>
#if FEDPP_CONSUMER_SECURE_AGGREGATION
#include <fedpp/secure_aggregation.hpp>

#include <memory>

/// A session of 3 clients (fedpp::secure_aggregation, OpenSSL): the sum of 1, 2 and 3.
static bool secure_sum_ok() {
    fedpp::secagg::Config config;
    config.clients = 3;
    config.degree = 2;
    config.threshold = 2;
    config.vector_length = 1;
    fedpp::secagg::LocalSession session(config, fedpp::secagg::NeighbourGraph::complete(3), [](auto) {
        return std::make_unique<fedpp::secagg::OsRandom>();
    });
    const auto report = session.run([](fedpp::secagg::ClientId c) { return std::vector<std::uint32_t>{c + 1}; });
    return report.sum && report.sum->words == std::vector<std::uint32_t>{6};
}
#endif

using Bob = fedpp::DataOwner<"bob">;
using Alice = fedpp::DataOwner<"alice">;
using Secure = fedpp::TrustedAggregator<"secure">;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer <path to digits.csv.gz>\n");
        return 2;
    }
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    fedpp::Worker<Alice> alice(hook);
    fedpp::Worker<Secure> secure(hook);
    fedpp::Generator generator(1);
    auto model = fedpp::send(fedpp::nn::Linear<float>(2, 1, generator), bob);
    auto data = fedpp::send(fedpp::Tensor<float>{{1, 0}}, bob);
    const float out = bob.run([](fedpp::nn::Linear<float>& m, fedpp::Tensor<float>& x) { return m(x).item(); },
                              model, data).get();
    auto alices = fedpp::send(fedpp::nn::Linear<float>(2, 1, generator), alice).move(secure);
    auto bobs = model.move(secure);
    const fedpp::nn::Linear<float> average = fedpp::fedavg(bobs, alices).get();

    // A data set loader (gzip, through zlib), a split and a partitioner.
    const auto digits = fedpp::data::load_digits(argv[1]);
    const auto split = fedpp::data::split_every(digits, 5);
    const auto clients = fedpp::data::partition_iid(split.train.size(), 4, generator);
    std::printf("consumer ok: %f %f; digits: %lld train, %lld test, %zu clients\n", static_cast<double>(out),
                static_cast<double>(average.bias().value()(0, 0)), static_cast<long long>(split.train.size()),
                static_cast<long long>(split.test.size()), clients.size());
#if FEDPP_CONSUMER_SECURE_AGGREGATION
    if (!secure_sum_ok()) {
        std::fprintf(stderr, "consumer: the secure sum is wrong\n");
        return 1;
    }
    std::printf("consumer: secure aggregation ok\n");
#endif
    return 0;
}
