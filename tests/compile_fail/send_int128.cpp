// Rule: a value without an exact byte encoding cannot be sent. Under GNU
// extensions (-std=gnu++20, CMake's default) __int128 is an arithmetic type;
// it used to be sent as its low 8 bytes, tagged "i64", so that
// send((__int128)1 << 70, bob).get() returned 0 (issue 9, item 15).
#include "parties.hpp"

#include <cstdint>

int main() {
    Parties p;
    __extension__ using Int128 = __int128;
    const Int128 big = Int128{1} << 70;
#ifdef FEDPP_SHOULD_FAIL_TO_BUILD
    auto at_bob = fedpp::send(big, p.bob);
#else
    auto at_bob = fedpp::send(static_cast<std::int64_t>(big >> 64), p.bob); // the high word, explicitly
#endif
    return at_bob.get() == 64 ? 0 : 1;
}
