// Rule: copy-assigning a Pointer does not compile either.
#include "parties.hpp"

#include <utility>

int main() {
    Parties p;
    auto original = fedpp::send(fedpp::Tensor<float>{{1}}, p.bob);
    fedpp::Pointer<fedpp::Tensor<float>, Bob> second;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    second = original;
#else
    second = original.copy();
#endif
    return second.valid() && original.valid() ? 0 : 1;
}
