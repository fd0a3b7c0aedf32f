// Rule: only secure aggregation makes a masked update (its constructor is
// private): words of the model owner's own cannot pass for Bob's masked
// update. The twin makes one the way secure aggregation does.
#include "parties.hpp"

#include <array>
#include <cstdint>
#include <vector>

int main() {
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::Masked<fedpp::nn::Linear<float>> forged(std::vector<std::uint32_t>{1, 2, 3, 4},
                                                  std::array<std::uint8_t, 32>{}, 0);
#else
    auto forged = masked_update();
#endif
    return forged.words().size() > 9 ? 1 : 0;
}
