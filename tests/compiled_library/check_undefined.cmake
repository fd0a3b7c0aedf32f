# Builds TARGET in BUILD_DIR, a program compiled for fedpp::compiled
# (FEDPP_COMPILED) but not linked to it, and passes only if the link fails
# on each node that src/compiled/instantiations.hpp lists (LIST), for float
# and for double: every one of them must come from the library, none be
# compiled in the program (a header that lost its extern declaration fails
# this); on the function templates it lists that the program calls; and on
# the runtime's non-template functions that the program's
# round trip calls, which the library also holds (a header that defines
# them again in a program fails this). GNU ld says "undefined reference to `X'", lld "undefined symbol: X".
#     cmake -DBUILD_DIR=... -DTARGET=... -DLIST=.../instantiations.hpp -P check_undefined.cmake
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
# Function templates the headers list for the library (FEDPP_*_FUNCTIONS,
# fedpp/base/compiled.hpp) that the program's training and averaging call,
# for float and double; their demangled names begin with their return type.
foreach(function IN ITEMS "fedpp::sub" "fedpp::pow" "fedpp::sum" "fedpp::relu" "fedpp::detail::encode_matrix"
                          "fedpp::detail::decode_matrix" "fedpp::detail::check_layout"
                          "fedpp::detail::average_parameter" "fedpp::detail::read_tagged_value")
  foreach(type float double)
    if(NOT output MATCHES "undefined (reference to|symbol:) [^\n]*${function}<${type}>\\(")
      list(APPEND missing "${function}<${type}>")
    endif()
  endforeach()
endforeach()
if(missing)
  message(FATAL_ERROR "${TARGET} failed to link, but not for want of these, which it must take from "
                      "fedpp::compiled: ${missing}\n${output}")
endif()
message(STATUS "the link failed on each of the ${count} nodes, for float and double, on the function "
               "templates, and on the runtime's functions, as expected")
