// Rule: fedavg at a location not declared trusted does not compile.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto first = fedpp::send(small_model(), p.bob);
    auto second = fedpp::send(small_model(), p.bob);
#else
    auto first = fedpp::send(small_model(), p.secure);
    auto second = fedpp::send(small_model(), p.secure);
#endif
    auto average = fedpp::fedavg(first, second);
    return average.valid() ? 0 : 1;
}
