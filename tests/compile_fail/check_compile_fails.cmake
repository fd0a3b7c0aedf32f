# Builds TARGET (compiled with FEDPP_SHOULD_FAIL_TO_BUILD, or a program that
# must not link) in BUILD_DIR and passes only if the compiler or the linker
# rejects it with an error matching EXPECTED (a regex). Invoked by ctest:
#     cmake -DBUILD_DIR=... -DTARGET=... -DEXPECTED=... [-DFIRST=FIRST] -P check_compile_fails.cmake
# With FIRST, EXPECTED must match the first error line the compiler prints.
include(${CMAKE_CURRENT_LIST_DIR}/build_must_fail.cmake)
fedpp_build_must_fail(output "built, but it must be rejected")
if(NOT output MATCHES "${EXPECTED}")
  message(FATAL_ERROR "${TARGET} failed to build, but not with the expected error '${EXPECTED}':\n${output}")
endif()
if(FIRST)
  # The first diagnostic that is an error (GCC: "file:line:col: error: ...").
  string(REGEX MATCH "[^\n]*error:[^\n]*" first_error "${output}")
  if(NOT first_error MATCHES "${EXPECTED}")
    message(FATAL_ERROR "${TARGET}: '${EXPECTED}' is not the first error; the first is:\n${first_error}\n\n${output}")
  endif()
endif()
message(STATUS "rejected as expected: '${EXPECTED}'")
