# Flags for fedpp's own programs (tests, examples, benchmarks, fuzzers), never
# for consumers: warnings are errors in our code, and optional sanitizers.
# Included only when one of those is built.
set(FEDPP_SANITIZERS "" CACHE STRING "Sanitizers for fedpp's own tests and examples, e.g. address,undefined")
option(FEDPP_NATIVE "Compile fedpp's own tests and examples for this machine's CPU (-march=native)" OFF)

add_library(fedpp_project_options INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(fedpp_project_options INTERFACE -Wall -Wextra -Wpedantic -Werror)
elseif(MSVC)
  target_compile_options(fedpp_project_options INTERFACE /W4 /WX /permissive-)
endif()

# fedpp is header-only: Eigen picks its SIMD width when the user's program is
# compiled, so a build for generic x86-64 trains on 128-bit SSE2 vectors even
# where the CPU has AVX-512. FEDPP_NATIVE builds the examples (mnist_fedavg's
# CNN rounds run about 3x faster with it) for the machine they are built on;
# the binaries are then not portable to older CPUs.
if(FEDPP_NATIVE)
  target_compile_options(fedpp_project_options INTERFACE -march=native)
endif()
# GCC 12 warns "'__Y' may be used uninitialized" (and, in fedpp::compiled's
# double kernels, "is used uninitialized") inside its own avx512fintrin.h
# (_mm512_unpacklo_ps and friends start from _mm512_undefined_ps, which
# initialises __Y from itself; GCC bug 105593, fixed in GCC 13) when Eigen's
# AVX-512 packet code inlines them: a false positive in a system header,
# reported at the call site, so -Werror would fail any AVX-512 build of
# fedpp's own programs.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND (FEDPP_NATIVE OR CMAKE_CXX_FLAGS MATCHES "-march=|-mavx512"))
  target_compile_options(fedpp_project_options INTERFACE -Wno-maybe-uninitialized)
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(fedpp_project_options INTERFACE -Wno-uninitialized)
  endif()
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
