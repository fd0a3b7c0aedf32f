// fedpp::compiled: the non-template functions of fedpp's core that a program
// linked to this library only declares, compiled here once: every header
// reached from fedpp/fedpp.hpp includes its `-inl.hpp` definitions in this
// file, as ordinary (not inline) functions (fedpp/base/separate_compilation.hpp).
#if defined(FEDPP_HEADER_DEFINITIONS)
#error "definitions.cpp must be compiled alone (not in a unity build): fedpp's headers were already included"
#endif
#define FEDPP_COMPILING_DEFINITIONS
#include "fedpp/fedpp.hpp"
