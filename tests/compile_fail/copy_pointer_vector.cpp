// Rule: a container of pointers is not copied either (each remote object
// has one owner). Copying a std::vector<Pointer> used to fail with four
// standard-library errors (62 lines) before fedpp's message (issue 9, item
// 16); fedpp's message must be the first error. The twin moves the vector.
#include "parties.hpp"

#include <utility>
#include <vector>

int main() {
    Parties p;
    std::vector<fedpp::Pointer<fedpp::Tensor<float>, Secure>> pointers;
    pointers.push_back(fedpp::send(fedpp::Tensor<float>{{1}}, p.secure));
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto second = pointers;
#else
    auto second = std::move(pointers);
#endif
    return second.size() == 1 ? 0 : 1;
}
