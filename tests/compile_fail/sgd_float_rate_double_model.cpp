// Rule: a float hyperparameter for a double model does not compile: 0.1f
// would be 0.100000001490116, not 0.1 (issue 9, item 13).
#include "parties.hpp"

int main() {
    fedpp::nn::Linear<double> model({{0.5, -0.25}}, {0.1});
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::optim::SGD opt(model.parameters(), 0.1f);
#else
    fedpp::optim::SGD opt(model.parameters(), 0.1);
#endif
    return opt.learning_rate() == 0.1 ? 0 : 1;
}
