// fedpp: the errors of located values, composed out of line.
//
// Each Pointer<T, L> instantiation (one per value type and location in a
// program) would otherwise carry, and the compiler optimise, its own copy of
// the code that composes these messages.
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/transport/seam.hpp"

#include <cstdint>
#include <string>

namespace fedpp::detail {

enum class PointerState : std::uint8_t { empty, live, moved_from, taken, moved_away, declassified };

/// InvalidPointerError: `operation` on a spent pointer to a `type_name`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_spent_pointer(const std::string& type_name,
                                                                       const char* operation, PointerState state) {
    const char* why = "";
    switch (state) {
    case PointerState::empty: why = "it was never given an object"; break;
    case PointerState::moved_from: why = "it was moved from (std::move) into another Pointer"; break;
    case PointerState::taken: why = "get() already brought its value back and deleted it at the worker"; break;
    case PointerState::moved_away: why = "move() already transferred its value to another worker"; break;
    case PointerState::declassified: why = "declassify() already brought its value back"; break;
    case PointerState::live: break;
    }
    throw InvalidPointerError("fedpp::Pointer<" + type_name + ">::" + operation + ": the pointer is spent: " + why);
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_other_federation(const char* operation) {
    throw LocationError(std::string(operation) + ": the destination worker belongs to another Federation");
}

/// LocationError: a value at worker `at` used with values at worker `wanted`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_not_colocated(const char* operation, const Seam& seam,
                                                                       WorkerId at, WorkerId wanted) {
    throw LocationError(std::string(operation) + ": a value at '" + seam.name_of(at) +
                        "' cannot be combined with values at '" + seam.name_of(wanted) +
                        "' (two workers of the same location type); move it there first");
}

/// LocationError: a data owner's value moved to another data owner of the
/// same location type.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_move_between_data_owners(const Seam& seam, WorkerId from,
                                                                                  WorkerId to) {
    throw LocationError("move(): '" + seam.name_of(from) + "' and '" + seam.name_of(to) +
                        "' are two different data owners of the same location type; a data owner's "
                        "value may only move to a trusted location");
}

/// The name of the bytes a fetch brought back, for error messages.
[[gnu::cold, gnu::noinline]] inline std::string fetched_from(const Seam& seam, WorkerId worker) {
    return "value fetched from '" + seam.name_of(worker) + "'";
}

} // namespace fedpp::detail
