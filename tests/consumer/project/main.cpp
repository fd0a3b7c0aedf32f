#include <fedpp/fedpp.hpp>

#include <cstdio>

using Bob = fedpp::DataOwner<"bob">;
using Secure = fedpp::TrustedAggregator<"secure">;

int main() {
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
    std::printf("consumer ok: %f %f\n", static_cast<double>(out),
                static_cast<double>(average.get().bias().value()(0, 0)));
    return 0;
}
