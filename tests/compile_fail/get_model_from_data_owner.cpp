// Rule: a model at an untrusted data owner cannot be taken back with get();
// fedpp::declassify is the explicit way. A scalar (a loss) may be read, and
// so may an aggregate at the trusted location.
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
    auto loss = p.bob.run([](fedpp::nn::Linear<float>& m) { return m.weight().value().sum(); }, model);
    const float value = loss.get(); // a scalar: allowed
    auto alices = fedpp::send(small_model(), p.alice).move(p.secure);
    auto bobs = fedpp::send(small_model(), p.bob).move(p.secure);
    fedpp::nn::Linear<float> averaged = fedpp::fedavg(alices, bobs).get(); // an aggregate: allowed
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto back = model.get();
#else
    auto back = fedpp::declassify<"compile-fail twin">(std::move(model));
#endif
    return value + back.weight().value().sum() + averaged.bias().value().sum() > 1e9f ? 1 : 0;
}
