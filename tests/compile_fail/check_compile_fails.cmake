# Builds TARGET (compiled with FEDPP_SHOULD_FAIL_TO_BUILD) in BUILD_DIR and
# passes only if the compiler rejects it with an error matching EXPECTED (a
# regex). Invoked by ctest:
#     cmake -DBUILD_DIR=... -DTARGET=... -DEXPECTED=... -P check_compile_fails.cmake
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled with FEDPP_SHOULD_FAIL_TO_BUILD, but it must not")
endif()
if(NOT output MATCHES "${EXPECTED}")
  message(FATAL_ERROR "${TARGET} failed to build, but not with the expected error '${EXPECTED}':\n${output}")
endif()
message(STATUS "rejected as expected: '${EXPECTED}'")
