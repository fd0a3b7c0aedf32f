// fedpp: what the optional compiled library fedpp::compiled holds, and how
// a program linked to it skips compiling that code again.
//
// fedpp is header-only: each program compiles the templates it uses, and
// most of a small program's compile time is code generation at -O3, a large
// share of it for the autograd nodes' backward kernels and the matrix
// products under them (benchmarks/NOTES.md, section 7), then for the
// forward functions of the elementwise operations, reductions, slicing and
// activations, the value codecs, the parameters' layout check and FedAvg's
// blocked sum. A program linked to the CMake target fedpp::compiled (which
// defines FEDPP_COMPILED for it) sees `extern template` declarations for
// those templates, for float and double, and takes them from the library,
// compiled once, as {fmt} offers a compiled library beside its header-only
// mode. Other element types, and programs that do not link it, compile
// them as before. The library also holds the core's large non-template
// functions (the stores, the transport, the transfer log, the byte reader),
// which such a program sees declared only
// (fedpp/base/separate_compilation.hpp).
//
// The library and the program must be compiled alike: the same fedpp
// headers, the same FEDPP_USE_BLAS, and the same -march (the library's
// kernels are the ones the program runs). A program whose Eigen alignment,
// instruction-set extensions or standard-library debug mode differ from
// the library's fails to link, on an undefined
// fedpp::detail::compiled_library_built_for_align_N_... that names its own,
// rather than corrupting its heap or stopping on an illegal instruction at
// run time (fedpp/base/compiled_build_signature.hpp).
#pragma once

#if defined(FEDPP_COMPILED)
#include "fedpp/base/compiled_build_signature.hpp"

/// At namespace scope after the definition of class template `name`
/// (written with its class-key: `struct fedpp::detail::ReluNode`): a program
/// linked to fedpp::compiled takes name<float> and name<double> from it.
#define FEDPP_EXTERN_FLOAT_AND_DOUBLE(name)                                                                     \
    extern template name<float>;                                                                               \
    extern template name<double>

/// At namespace scope after the definitions of the function templates that
/// `list` names: a program linked to fedpp::compiled takes their float and
/// double instantiations from it. `list(X, T)` applies X to each one's
/// instantiation for T, written `return-type qualified-name<T>(parameter
/// types)`; src/compiled/instantiations.hpp applies the same list.
#define FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(list)                                                           \
    list(FEDPP_EXTERN_FUNCTION_, float) list(FEDPP_EXTERN_FUNCTION_, double) static_assert(true)
#define FEDPP_EXTERN_FUNCTION_(...) extern template __VA_ARGS__;
#else
#define FEDPP_EXTERN_FLOAT_AND_DOUBLE(name) static_assert(true)
#define FEDPP_EXTERN_FUNCTIONS_FLOAT_AND_DOUBLE(list) static_assert(true)
#endif
