// Rule: the model owner's code does not run on a masked update at the
// sum-only aggregator: Worker::run does not compile. The twin runs on the
// unmasked sum.
#include "parties.hpp"

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto masked = fedpp::send(masked_update(), p.bob).move(p.summer);
    auto size = p.summer.run([](fedpp::Masked<fedpp::nn::Linear<float>>& m) { return m.words().size(); }, masked);
#else
    auto sum = fedpp::send(unmasked_sum(), p.summer);
    auto size = p.summer.run([](fedpp::Aggregate<fedpp::nn::Linear<float>>& a) { return a.contributions(); }, sum);
#endif
    return size.get() > 9 ? 1 : 0;
}
