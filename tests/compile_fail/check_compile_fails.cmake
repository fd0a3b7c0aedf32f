# Compiles SOURCE with FEDPP_SHOULD_FAIL_TO_BUILD defined and passes only if
# the compiler rejects it with an error matching EXPECTED (a regex).
# Invoked by ctest:  cmake -DCOMPILER=... -DSOURCE=... -DEXPECTED=... -DFLAGS=... -P check_compile_fails.cmake
separate_arguments(flag_list UNIX_COMMAND "${FLAGS}")
execute_process(
  COMMAND ${COMPILER} ${flag_list} -DFEDPP_SHOULD_FAIL_TO_BUILD -fsyntax-only ${SOURCE}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with FEDPP_SHOULD_FAIL_TO_BUILD, but it must not")
endif()
if(NOT output MATCHES "${EXPECTED}")
  message(FATAL_ERROR "${SOURCE} failed to compile, but not with the expected error '${EXPECTED}':\n${output}")
endif()
message(STATUS "rejected as expected: '${EXPECTED}'")
