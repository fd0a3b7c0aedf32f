// Rule: only aggregates leave an aggregator. A model a data owner moved to
// the trusted worker may be aggregated there and nothing else: get() does not
// compile (the trusted worker would pass Bob's model through). The twin
// reads the average of Bob's and Alice's models.
#include "parties.hpp"

int main() {
    Parties p;
    auto bobs = fedpp::send(small_model(), p.bob).move(p.secure);
    auto alices = fedpp::send(small_model(), p.alice).move(p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto leaked = bobs.get();
    return leaked.bias().value().sum() > 1e9f ? 1 : 0;
#else
    fedpp::nn::Linear<float> average = fedpp::fedavg(bobs, alices).get();
    return average.bias().value().sum() > 1e9f ? 1 : 0;
#endif
}
