// fedpp: where the non-template functions of fedpp's core are compiled.
//
// Header-only (the default), a header whose non-template functions are large
// (the object store, the in-process transport, the seam, the transfer log,
// the byte reader, a computation's inputs, the aggregation and contribution
// checks, the pointers' errors) defines them in a companion `-inl.hpp`,
// which it includes at its end, and every program compiles them again. In a
// program linked to fedpp::compiled (FEDPP_COMPILED) the headers declare them
// only, and the library compiles the `-inl.hpp` files once
// (src/compiled/definitions.cpp), as Boost.Asio's separate compilation and
// {fmt}'s format-inl.h do. Small functions, which a call would slow down,
// and functions with static locals (a registry, a thread's number) stay in
// the headers either way: a program may link code compiled header-only (the
// fedpp::grpc library is) beside fedpp::compiled, and then has these
// functions in both forms, inline and not, compiled from the same source
// (which ELF linkers accept); a static local would then be two objects.
#pragma once

/// 1 when fedpp's headers include their `-inl.hpp` definitions: header-only,
/// or compiling fedpp::compiled's definitions.
#if defined(FEDPP_COMPILED) && !defined(FEDPP_COMPILING_DEFINITIONS)
#define FEDPP_HEADER_DEFINITIONS 0
#else
#define FEDPP_HEADER_DEFINITIONS 1
#endif

/// In front of each definition in an `-inl.hpp`: `inline` in header-only
/// mode; nothing (one external definition) in fedpp::compiled.
#if defined(FEDPP_COMPILING_DEFINITIONS)
#define FEDPP_INLINE
#else
#define FEDPP_INLINE inline
#endif
