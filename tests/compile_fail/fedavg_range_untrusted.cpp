// Rule: fedavg at a location not declared trusted does not compile (range
// and weighted forms).
#include "parties.hpp"

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
    auto average = fedpp::fedavg(models, std::vector<int>{3});
    return average.valid() ? 0 : 1;
}
