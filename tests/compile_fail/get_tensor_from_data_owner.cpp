// Rule: a tensor at an untrusted data owner cannot be taken back with get().
#include "parties.hpp"

int main() {
    Parties p;
    auto at_bob = fedpp::send(fedpp::Tensor<double>{{1, 2}}, p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto back = at_bob.get();
#else
    auto back = at_bob.move(p.secure).get();
#endif
    return back.value().sum() > 10 ? 1 : 0;
}
