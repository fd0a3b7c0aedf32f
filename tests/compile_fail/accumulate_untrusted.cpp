// Rule: streaming aggregation (accumulate into a WeightedSum) only compiles
// at a trusted location.
#include "parties.hpp"

#include <utility>

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto sum = fedpp::send(fedpp::WeightedSum<fedpp::nn::Linear<float>>(small_model()), p.bob);
    fedpp::accumulate(sum, fedpp::send(small_model(), p.bob), 1.0);
#else
    auto sum = fedpp::send(fedpp::WeightedSum<fedpp::nn::Linear<float>>(small_model()), p.secure);
    fedpp::accumulate(sum, fedpp::send(small_model(), p.secure), 1.0);
#endif
    return sum.valid() ? 0 : 1;
}
