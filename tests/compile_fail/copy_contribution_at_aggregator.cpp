// Rule: a contribution at a trusted location cannot be copied there: two
// copies would count as two data owners. The twin copies an aggregate.
#include "parties.hpp"

int main() {
    Parties p;
    auto bobs = fedpp::send(small_model(), p.bob).move(p.secure);
    auto alices = fedpp::send(small_model(), p.alice).move(p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto twice = bobs.copy();
#else
    auto average = fedpp::fedavg(bobs, alices);
    auto twice = average.copy();
#endif
    return twice.valid() ? 0 : 1;
}
