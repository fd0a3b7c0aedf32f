// Rule: a tensor at an untrusted data owner cannot be taken back with get().
// The twin reads the average of Bob's and Alice's tensors at the trusted
// location.
#include "parties.hpp"

int main() {
    Parties p;
    auto at_bob = fedpp::send(fedpp::Tensor<double>{{1, 2}}, p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto back = at_bob.get();
#else
    auto at_alice = fedpp::send(fedpp::Tensor<double>{{3, 4}}, p.alice);
    fedpp::Tensor<double> back = fedpp::fedavg(at_bob.move(p.secure), at_alice.move(p.secure)).get();
#endif
    return back.value().sum() > 10 ? 1 : 0;
}
