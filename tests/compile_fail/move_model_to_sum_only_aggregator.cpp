// Rule: a sum-only aggregator is trusted with no single update. A data
// owner's model does not go there, only its masked update: move() of the
// model does not compile. The twin moves the masked update.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto bobs = fedpp::send(small_model(), p.bob).move(p.summer);
#else
    auto bobs = fedpp::send(masked_update(), p.bob).move(p.summer);
#endif
    return bobs.valid() ? 0 : 1;
}
