# Checks that a skipped test case (tests/skip.hpp) is reported as skipped,
# never as passed: alone it makes the test program exit 77 (ctest's
# SKIP_RETURN_CODE), and with a passing test case the run passes but lists
# the skip.
#     cmake -DTEST_EXECUTABLE=... -P check_skips.cmake
execute_process(COMMAND ${TEST_EXECUTABLE} "[skip-check]" RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 77)
  message(FATAL_ERROR "a run whose only test case skipped exited with ${result}, not 77:\n${out}")
endif()
if(NOT out MATCHES "SKIPPED \\(could not measure\\): a test case that cannot measure is reported as skipped: this test case always skips")
  message(FATAL_ERROR "the skipped test case was not listed with its reason:\n${out}")
endif()
execute_process(COMMAND ${TEST_EXECUTABLE} "[skip-check],the byte format is little-endian and self-describing"
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "a run with a passing and a skipped test case exited with ${result}, not 0:\n${out}")
endif()
if(NOT out MATCHES "SKIPPED \\(could not measure\\): a test case that cannot measure")
  message(FATAL_ERROR "the skipped test case was not listed in a larger run:\n${out}")
endif()
message(STATUS "skips are reported as skipped")
