// Rule: a masked update is read by no one. At the sum-only aggregator it
// may only go into the secure sum: get() does not compile. The twin reads
// what the aggregator may release, the unmasked sum.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto masked = fedpp::send(masked_update(), p.bob).move(p.summer);
    auto words = masked.get();
    return words.words().size() > 9 ? 1 : 0;
#else
    auto sum = fedpp::send(unmasked_sum(), p.summer);
    fedpp::nn::Linear<float> mean = sum.get();
    return mean.bias().value().sum() > 1e9f ? 1 : 0;
#endif
}
