// Rule: copying a Pointer does not compile (each remote object has exactly
// one owner); std::move or copy() are the ways to get a second handle.
#include "parties.hpp"

#include <utility>

int main() {
    Parties p;
    auto original = fedpp::send(fedpp::Tensor<float>{{1}}, p.secure);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::Pointer<fedpp::Tensor<float>, Secure> second = original;
#else
    fedpp::Pointer<fedpp::Tensor<float>, Secure> second = std::move(original);
#endif
    return second.valid() ? 0 : 1;
}
