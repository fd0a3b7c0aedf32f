// Rule: fedavg over pointers not all at one location does not compile.
#include "parties.hpp"

int main() {
    Parties p;
    auto first = fedpp::send(small_model(), p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto second = fedpp::send(small_model(), p.bob);
#else
    auto second = fedpp::send(small_model(), p.secure);
#endif
    auto average = fedpp::fedavg(first, second);
    return average.valid() ? 0 : 1;
}
