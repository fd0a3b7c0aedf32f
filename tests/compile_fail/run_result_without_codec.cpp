// Rule: what a function run at a worker returns stays there, so its type
// needs a Codec. A result type without one used to give three errors (60
// lines) from fedpp's internals after fedpp's message (issue 9, item 16);
// fedpp's message must be the first error. The twin returns a type with a
// Codec (a float).
#include "parties.hpp"

namespace {
struct Stats {
    float loss;
    int count;
};
} // namespace

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto stats = p.bob.run([](fedpp::nn::Linear<float>& m) { return Stats{m.weight().value().sum(), 1}; }, model);
    (void)stats;
    return 0;
#else
    auto loss = p.bob.run([](fedpp::nn::Linear<float>& m) { return Stats{m.weight().value().sum(), 1}.loss; }, model);
    return loss.get() > 1e9f ? 1 : 0;
#endif
}
