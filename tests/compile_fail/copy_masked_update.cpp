// Rule: no second copy of a masked update at the sum-only aggregator (two
// copies would count Bob twice): copy() does not compile. The twin copies
// the unmasked sum.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto masked = fedpp::send(masked_update(), p.bob).move(p.summer);
    auto second = masked.copy();
#else
    auto sum = fedpp::send(unmasked_sum(), p.summer);
    auto second = sum.copy();
#endif
    return second.valid() ? 0 : 1;
}
