// Rule: trust is not declared. A location type of one's own with
// `trusted = true` is not a location at all; the trusted locations are
// fedpp::TrustedAggregator<...> (or types derived from it, which show it).
// The twin derives from it.
#include "parties.hpp"

#include <string_view>

struct Mine {
    static constexpr std::string_view name = "mine";
    static constexpr bool trusted = true;
};
struct Ours : fedpp::TrustedAggregator<"ours"> {};

int main() {
    Parties p;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    fedpp::Worker<Mine> mine(p.hook);
#else
    fedpp::Worker<Ours> mine(p.hook);
#endif
    return mine.object_count() == 0 ? 0 : 1;
}
