// Rule: from the sum-only aggregator a masked update goes nowhere (Bob's
// masks are shared with the others: at Alice, it is one step from Bob's
// model): move() does not compile. The twin sends the unmasked sum on.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto at_alice = fedpp::send(masked_update(), p.bob).move(p.summer).move(p.alice);
#else
    auto at_alice = fedpp::send(unmasked_sum(), p.summer).move(p.alice);
#endif
    return at_alice.valid() ? 0 : 1;
}
