// Rule: values located at different workers cannot be combined.
#include "parties.hpp"

int main() {
    Parties p;
    auto at_bob = fedpp::send(fedpp::Tensor<float>{{1, 2}}, p.bob);
    auto also_at_bob = fedpp::send(fedpp::Tensor<float>{{3, 4}}, p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto at_alice = fedpp::send(fedpp::Tensor<float>{{3, 4}}, p.alice);
    auto sum = at_bob + at_alice;
#else
    auto sum = at_bob + also_at_bob;
#endif
    return sum.valid() ? 0 : 1;
}
