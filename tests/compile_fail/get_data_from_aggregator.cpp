// Rule: only aggregates leave an aggregator, data included: Bob's data moved
// to the trusted worker cannot be read there. The twin reads a scalar
// computed at Bob.
#include "parties.hpp"

int main() {
    Parties p;
    auto bobs_data = fedpp::send(fedpp::Tensor<float>{{1, 2}}, p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto leaked = bobs_data.move(p.secure).get();
    return leaked.value().sum() > 1e9f ? 1 : 0;
#else
    auto rows = p.bob.run([](fedpp::Tensor<float>& t) { return std::int64_t{t.rows()}; }, bobs_data);
    return rows.get() == 1 ? 0 : 1;
#endif
}
