// fedpp: the definitions of pointer_errors.hpp (fedpp/base/separate_compilation.hpp).
#pragma once

#include "fedpp/base/errors.hpp"
#include "fedpp/base/separate_compilation.hpp"
#include "fedpp/located/pointer_errors.hpp"

#include <string>

namespace fedpp::detail {

[[gnu::noinline]] FEDPP_INLINE void throw_spent_pointer(const std::string& type_name, const char* operation,
                                                        PointerState state) {
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

[[gnu::noinline]] FEDPP_INLINE void throw_other_federation(const char* operation) {
    throw LocationError(std::string(operation) + ": the destination worker belongs to another Federation");
}

[[gnu::noinline]] FEDPP_INLINE void throw_not_colocated(const char* operation, const Seam& seam, WorkerId at,
                                                        WorkerId wanted) {
    throw LocationError(std::string(operation) + ": a value at '" + seam.name_of(at) +
                        "' cannot be combined with values at '" + seam.name_of(wanted) +
                        "' (two workers of the same location type); move it there first");
}

[[gnu::noinline]] FEDPP_INLINE void throw_move_between_data_owners(const Seam& seam, WorkerId from, WorkerId to) {
    throw LocationError("move(): '" + seam.name_of(from) + "' and '" + seam.name_of(to) +
                        "' are two different data owners of the same location type; a data owner's "
                        "value may only move to a trusted location");
}

[[gnu::noinline]] FEDPP_INLINE void throw_no_object_made(const Seam& seam, WorkerId at, const char* operation) {
    throw RemoteObjectError("worker '" + seam.name_of(at) + "' answered " + operation +
                            " without naming the object it made (object 0 names none). fedpp's workers never "
                            "answer so: that party is broken, or not what it claims to be");
}

[[gnu::noinline]] FEDPP_INLINE std::string fetched_from(const Seam& seam, WorkerId worker) {
    return "value fetched from '" + seam.name_of(worker) + "'";
}

} // namespace fedpp::detail
