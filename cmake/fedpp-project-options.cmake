# Flags for fedpp's own programs (tests, examples, benchmarks, fuzzers), never
# for consumers: warnings are errors in our code, and optional sanitizers.
# Included only when one of those is built.
set(FEDPP_SANITIZERS "" CACHE STRING "Sanitizers for fedpp's own tests and examples, e.g. address,undefined")

add_library(fedpp_project_options INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(fedpp_project_options INTERFACE -Wall -Wextra -Wpedantic -Werror)
elseif(MSVC)
  target_compile_options(fedpp_project_options INTERFACE /W4 /WX /permissive-)
endif()

if(FEDPP_SANITIZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "FEDPP_SANITIZERS needs GCC or Clang")
  endif()
  target_compile_options(fedpp_project_options INTERFACE -fsanitize=${FEDPP_SANITIZERS} -fno-omit-frame-pointer
                                                         -fno-sanitize-recover=all)
  target_link_options(fedpp_project_options INTERFACE -fsanitize=${FEDPP_SANITIZERS})
  # GCC 12's optimiser, with sanitizer instrumentation, reports false
  # -Wmaybe-uninitialized in libstdc++'s <regex> (used by Catch2); keep it a
  # warning there rather than an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(fedpp_project_options INTERFACE -Wno-error=maybe-uninitialized)
  endif()
endif()
