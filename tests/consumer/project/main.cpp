#include <fedpp/loaders.hpp>
#include <fedpp/fedpp.hpp>

#include <cstdio>

using Bob = fedpp::DataOwner<"bob">;
using Secure = fedpp::TrustedAggregator<"secure">;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer <path to digits.csv.gz>\n");
        return 2;
    }
    fedpp::Federation hook;
    fedpp::Worker<Bob> bob(hook);
    fedpp::Worker<Secure> secure(hook);
    fedpp::Generator generator(1);
    auto model = fedpp::send(fedpp::nn::Linear<float>(2, 1, generator), bob);
    auto data = fedpp::send(fedpp::Tensor<float>{{1, 0}}, bob);
    const float out = bob.run([](fedpp::nn::Linear<float>& m, fedpp::Tensor<float>& x) { return m(x).item(); },
                              model, data).get();
    auto at_secure = model.move(secure);
    auto average = fedpp::fedavg(at_secure, at_secure);

    // A data set loader (gzip, through zlib), a split and a partitioner.
    const auto digits = fedpp::data::load_digits(argv[1]);
    const auto split = fedpp::data::split_every(digits, 5);
    const auto clients = fedpp::data::partition_iid(split.train.size(), 4, generator);
    std::printf("consumer ok: %f %f; digits: %lld train, %lld test, %zu clients\n", static_cast<double>(out),
                static_cast<double>(average.get().bias().value()(0, 0)), static_cast<long long>(split.train.size()),
                static_cast<long long>(split.test.size()), clients.size());
    return 0;
}
