// fedpp::compiled for float (instantiations.hpp lists what).
#include "instantiations.hpp"

// The alignment this library was built with (fedpp/base/compiled.hpp): a
// program built with another one fails to link rather than run.
bool fedpp::detail::FEDPP_COMPILED_ALIGNMENT_NAME(EIGEN_MAX_ALIGN_BYTES)() noexcept { return true; }

FEDPP_INSTANTIATE_FOR(float);
