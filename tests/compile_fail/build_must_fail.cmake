# For the -P scripts that check a build is refused (check_compile_fails.cmake,
# tests/compiled_library/check_undefined.cmake): builds TARGET in BUILD_DIR,
# stops with `message_if_built` if that succeeds, and otherwise puts what the
# compiler and linker printed in `output_variable`.
function(fedpp_build_must_fail output_variable message_if_built)
  execute_process(
    COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(result EQUAL 0)
    message(FATAL_ERROR "${TARGET} ${message_if_built}")
  endif()
  set(${output_variable} "${output}" PARENT_SCOPE)
endfunction()
