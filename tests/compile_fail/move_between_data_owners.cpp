// Rule: a value held by a data owner leaves it only for a trusted location
// (moving Bob's model to Alice would show Alice Bob's update).
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto moved = model.move(p.alice);
#else
    auto moved = model.move(p.secure);
#endif
    return moved.valid() ? 0 : 1;
}
