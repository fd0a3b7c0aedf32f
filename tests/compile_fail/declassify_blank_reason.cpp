// Rule: declassify takes its reason as a compile-time string that says
// something: a blank reason does not compile. The twin gives one.
#include "parties.hpp"

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto released = fedpp::declassify<" ">(std::move(model));
#else
    auto released = fedpp::declassify<"compile-fail twin: a real reason">(std::move(model));
#endif
    return released.bias().value().sum() > 1e9f ? 1 : 0;
}
