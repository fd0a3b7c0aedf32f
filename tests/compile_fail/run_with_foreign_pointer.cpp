// Rule: a computation at a worker only takes pointers located there.
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto data = fedpp::send(fedpp::Tensor<float>{{1, 2}}, p.alice);
#else
    auto data = fedpp::send(fedpp::Tensor<float>{{1, 2}}, p.bob);
#endif
    auto out = p.bob.run([](fedpp::nn::Linear<float>& m, fedpp::Tensor<float>& x) { return m(x).sum().item(); },
                         model, data);
    return out.get() > 1e9f ? 1 : 0;
}
