// Rule: a trusted location sends on only aggregates: Bob's model cannot reach
// Alice in two hops (bob -> secure_worker -> alice). The twin sends the
// average of Bob's and Alice's models to Alice.
#include "parties.hpp"

int main() {
    Parties p;
    auto bobs = fedpp::send(small_model(), p.bob).move(p.secure);
    auto alices = fedpp::send(small_model(), p.alice).move(p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto at_alice = bobs.move(p.alice);
#else
    auto at_alice = fedpp::fedavg(bobs, alices).move(p.alice);
#endif
    return at_alice.valid() ? 0 : 1;
}
