# Fails if a test case name of ${TEST_EXECUTABLE} contains ';'.
# catch_discover_tests cuts a name at ';' (CMake's list separator) into names
# that match no test case, which Catch2 reports as a success: such a test
# would silently never run under ctest. (Catch2 v2's --list-test-names-only
# exits with the number of names, so the exit code is not checked.)
execute_process(COMMAND ${TEST_EXECUTABLE} --list-test-names-only OUTPUT_VARIABLE names)
string(FIND "${names}" ";" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "a test case name contains ';' (ctest would never run it); use ',' instead:\n${names}")
endif()
string(LENGTH "${names}" length)
if(length EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --list-test-names-only printed nothing")
endif()
message(STATUS "test case names ok")
