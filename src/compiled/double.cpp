// fedpp::compiled for double (instantiations.hpp lists what).
#include "instantiations.hpp"

FEDPP_INSTANTIATE_FOR(double);
