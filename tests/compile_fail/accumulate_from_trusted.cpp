// Rule: accumulate() takes an update straight from where it is only if that
// location may move it to the sum's (Pointer::move's rules): from a data
// owner, yes; a model at another trusted worker (some data owner's
// contribution there) may only be aggregated there, never passed on.
#include "parties.hpp"

#include <utility>

using Other = fedpp::TrustedAggregator<"other_aggregator">;

int main() {
    Parties p;
    fedpp::Worker<Other> other(p.hook);
    auto sum = fedpp::send(fedpp::WeightedSum<fedpp::nn::Linear<float>>(small_model()), p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::accumulate(sum, fedpp::send(small_model(), other), 1.0);
#else
    fedpp::accumulate(sum, fedpp::send(small_model(), p.bob), 1.0);
#endif
    return sum.valid() && other.object_count() == 0 ? 0 : 1;
}
