// Rule: at a trusted location, the model owner's code sees only what it may
// read: a model a data owner sent there may only be aggregated, so
// Worker::run on it does not compile (it could return the weights one by
// one, or as anything). The twin runs on an aggregate there.
#include "parties.hpp"

int main() {
    Parties p;
    auto bobs = fedpp::send(small_model(), p.bob).move(p.secure);
    auto alices = fedpp::send(small_model(), p.alice).move(p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto weights = p.secure.run([](fedpp::nn::Linear<float>& m) { return m.weight().value()(0, 0); }, bobs);
#else
    auto average = fedpp::fedavg(bobs, alices);
    auto weights = p.secure.run(
        [](fedpp::Aggregate<fedpp::nn::Linear<float>>& a) { return a.model().weight().value()(0, 0); }, average);
#endif
    return weights.get() > 1e9f ? 1 : 0;
}
