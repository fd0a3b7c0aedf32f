// Rule: a computation run at a worker gets only its arguments. A lambda
// that captures a variable of the model owner's (here by reference) could
// write the data owner's weights into it; Worker::run accepts only
// functions that capture nothing. The twin passes the value it needs as an
// argument and returns a public scalar.
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::Matrix<float> stolen;
    p.bob.run([&stolen](fedpp::nn::Linear<float>& m) { stolen = m.weight().value(); }, model);
    return stolen.size() > 0 ? 0 : 1;
#else
    auto scaled = p.bob.run([](fedpp::nn::Linear<float>& m, float factor) { return factor * m.weight().value().sum(); },
                            model, 2.0f);
    return scaled.get() > 1e9f ? 1 : 0;
#endif
}
