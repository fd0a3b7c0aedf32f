// Rule: a type is not made public by declaring it so. Specialising fedpp's
// traits (is_public_scalar_v, is_aggregate) changes no rule: the rules are
// concepts, which cannot be specialised, so get() of Bob's model still does
// not compile. The twin declassifies it, explicitly.
#include "parties.hpp"

#include <type_traits>

template <>
inline constexpr bool fedpp::is_public_scalar_v<fedpp::nn::Linear<float>> = true;
template <>
struct fedpp::is_aggregate<fedpp::nn::Linear<float>> : std::true_type {};

int main() {
    Parties p;
    auto model = fedpp::send(small_model(), p.bob);
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto leaked = model.get();
#else
    auto leaked = fedpp::declassify<"compile-fail twin: the explicit way">(std::move(model));
#endif
    return leaked.bias().value().sum() > 1e9f ? 1 : 0;
}
