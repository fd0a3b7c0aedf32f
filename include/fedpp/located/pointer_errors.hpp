// fedpp: the errors of located values, composed out of line.
//
// Each Pointer<T, L> instantiation (one per value type and location in a
// program) would otherwise carry, and the compiler optimise, its own copy of
// the code that composes these messages. (Each is `gnu::noinline` where
// it is defined, pointer_errors-inl.hpp.)
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/transport/seam.hpp"

#include <cstdint>
#include <string>

namespace fedpp::detail {

enum class PointerState : std::uint8_t { empty, live, moved_from, taken, moved_away, declassified };

/// InvalidPointerError: `operation` on a spent pointer to a `type_name`.
[[noreturn, gnu::cold]] void throw_spent_pointer(const std::string& type_name,
                                                 const char* operation, PointerState state);

[[noreturn, gnu::cold]] void throw_other_federation(const char* operation);

/// LocationError: a value at worker `at` used with values at worker `wanted`.
[[noreturn, gnu::cold]] void throw_not_colocated(const char* operation, const Seam& seam, WorkerId at, WorkerId wanted);

/// LocationError: a data owner's value moved to another data owner of the
/// same location type.
[[noreturn, gnu::cold]] void throw_move_between_data_owners(const Seam& seam, WorkerId from, WorkerId to);

/// RemoteObjectError: worker `at` answered `operation` (a send, a copy, a
/// move, a find, a computation with a result) without naming the object it
/// made. Object 0 names none, and fedpp's workers never answer so: a
/// pointer to it would name nothing there.
[[noreturn, gnu::cold]] void throw_no_object_made(const Seam& seam, WorkerId at, const char* operation);

/// The name of the bytes a fetch brought back, for error messages.
[[gnu::cold]] std::string fetched_from(const Seam& seam, WorkerId worker);

} // namespace fedpp::detail

#if FEDPP_HEADER_DEFINITIONS
#include "fedpp/located/pointer_errors-inl.hpp"
#endif
