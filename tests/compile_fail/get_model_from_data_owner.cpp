// Rule: a model at an untrusted data owner cannot be taken back with get();
// fedpp::declassify is the explicit way. A scalar (a loss) may be read, and
// anything at the trusted location may be read.
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
    auto loss = p.bob.run([](fedpp::nn::Linear<float>& m) { return m.weight().value().sum(); }, model);
    const float value = loss.get(); // a scalar: allowed
    auto at_secure = fedpp::send(small_model(), p.secure);
    auto averaged = at_secure.get(); // trusted: allowed
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto back = model.get();
#else
    auto back = fedpp::declassify(std::move(model), "compile-fail twin");
#endif
    return value + back.weight().value().sum() + averaged.bias().value().sum() > 1e9f ? 1 : 0;
}
