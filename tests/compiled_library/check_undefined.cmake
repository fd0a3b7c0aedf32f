# Builds TARGET in BUILD_DIR, a program compiled for fedpp::compiled
# (FEDPP_COMPILED) but not linked to it, and passes only if the link fails
# on each node that src/compiled/instantiations.hpp lists (LIST), for float
# and for double: every one of them must come from the library, none be
# compiled in the program (a header that lost its extern declaration fails
# this); on every function template the headers list for it; and on the
# runtime's non-template functions that the program's round trip calls, which the library also holds (a header that defines
# them again in a program fails this). GNU ld says "undefined reference to `X'", lld "undefined symbol: X".
#     cmake -DBUILD_DIR=... -DTARGET=... -DLIST=.../instantiations.hpp -DINCLUDE_DIR=.../include -P check_undefined.cmake
include(${CMAKE_CURRENT_LIST_DIR}/../compile_fail/build_must_fail.cmake)
fedpp_build_must_fail(output "linked without fedpp::compiled, but it must not")
file(READ ${LIST} list_text)
string(REGEX MATCH "#define FEDPP_COMPILED_NODES\\(X, T\\)[^#]*" nodes_macro "${list_text}")
string(REGEX MATCHALL "X\\(([A-Za-z0-9]+), T\\)" node_uses "${nodes_macro}")
list(LENGTH node_uses count)
if(count LESS 20)
  message(FATAL_ERROR "found only ${count} nodes in ${LIST}: has FEDPP_COMPILED_NODES changed its form?")
endif()
set(missing "")
foreach(use ${node_uses})
  string(REGEX REPLACE "X\\(([A-Za-z0-9]+), T\\)" "\\1" node "${use}")
  foreach(type float double)
    if(NOT output MATCHES "undefined (reference to|symbol:) .?(vtable|typeinfo) for fedpp::detail::${node}<${type}>")
      list(APPEND missing "${node}<${type}>")
    endif()
  endforeach()
endforeach()
# The runtime's functions that the round trip calls (from the seam, the
# in-process transport, the byte reader and the pointer's errors), which
# fedpp::compiled defines (fedpp/base/separate_compilation.hpp); the
# transport's by its virtual table, whose key function is in the library.
foreach(function IN ITEMS "fedpp::detail::Seam::call" "fedpp::detail::Seam::add_worker"
                          "fedpp::ByteReader::expect_end" "fedpp::detail::fetched_from"
                          "vtable for fedpp::InProcessTransport")
  if(NOT output MATCHES "undefined (reference to|symbol:) .?${function}(\\[abi:cxx11\\])?(\\(|'|\n|$)")
    list(APPEND missing "${function}")
  endif()
endforeach()
# Every function template the headers list for the library (the
# FEDPP_*_FUNCTIONS(X, T) macros, fedpp/base/compiled.hpp), by name, for
# float and double: the program calls each one. Their demangled names begin
# with their return type; a compiler that mangles a template's constraint
# (GCC 14, Clang 18) names it before the type ("<fedpp::Serializable float>").
file(GLOB_RECURSE headers ${INCLUDE_DIR}/fedpp/*.hpp)
set(functions "")
foreach(header ${headers})
  file(READ ${header} header_text)
  string(REGEX MATCHALL "#define FEDPP_[A-Z_]+_FUNCTIONS\\(X, T\\)[^#]*" lists "${header_text}")
  foreach(function_list ${lists})
    string(REGEX MATCHALL " fedpp::[a-z_:]+<T>\\(" uses "${function_list}")
    foreach(use ${uses})
      string(REGEX REPLACE " (fedpp::[a-z_:]+)<T>\\(" "\\1" function "${use}")
      list(APPEND functions ${function})
    endforeach()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES functions)
list(LENGTH functions function_count)
if(function_count LESS 18)
  message(FATAL_ERROR "found only ${function_count} listed function templates under ${INCLUDE_DIR}: have the "
                      "FEDPP_*_FUNCTIONS lists changed their form?")
endif()
foreach(function ${functions})
  foreach(type float double)
    if(NOT output MATCHES "undefined (reference to|symbol:) [^\n]*${function}<([A-Za-z_:]+ )?${type}>\\(")
      list(APPEND missing "${function}<${type}> (does program.cpp call it?)")
    endif()
  endforeach()
endforeach()
if(missing)
  message(FATAL_ERROR "${TARGET} failed to link, but not for want of these, which it must take from "
                      "fedpp::compiled: ${missing}\n${output}")
endif()
message(STATUS "the link failed on each of the ${count} nodes and ${function_count} listed function templates, "
               "for float and double, and on the runtime's functions, as expected")
