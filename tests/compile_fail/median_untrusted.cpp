// Rule: robust aggregation (here the coordinate-wise median) only compiles
// at a trusted location, like fedavg.
#include "parties.hpp"

#include <fedpp/aggregation/robust.hpp>

#include <vector>

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    std::vector<fedpp::Pointer<fedpp::nn::Linear<float>, Bob>> models;
    models.push_back(fedpp::send(small_model(), p.bob));
#else
    std::vector<fedpp::Pointer<fedpp::nn::Linear<float>, Secure>> models;
    models.push_back(fedpp::send(small_model(), p.secure));
#endif
    auto median = fedpp::coordinate_median(models);
    return median.valid() ? 0 : 1;
}
