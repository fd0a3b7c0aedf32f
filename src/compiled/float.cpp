// fedpp::compiled for float (instantiations.hpp lists what).
#include "instantiations.hpp"

// What this library was built for (fedpp/base/compiled_build_signature.hpp):
// a program built otherwise fails to link rather than run.
bool fedpp::detail::FEDPP_COMPILED_BUILD_SIGNATURE_NAME() noexcept { return true; }

FEDPP_INSTANTIATE_FOR(float);
