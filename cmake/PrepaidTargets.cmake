# Helpers that give every target of the project the same shape: warnings and options linked in,
# one include root per module (headers under <module>/include/prepaid/<name>/), tests labelled
# by area.

include(GoogleTest)

configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in
               ${PROJECT_BINARY_DIR}/generated/include/prepaid/version.hpp @ONLY)
add_library(prepaid_version INTERFACE)
add_library(prepaid::version ALIAS prepaid_version)
target_include_directories(prepaid_version INTERFACE ${PROJECT_BINARY_DIR}/generated/include)

# prepaid_library(<name> SOURCES … [PUBLIC …] [PRIVATE …])
# Creates prepaid_<name> with alias prepaid::<name>. Headers live in include/prepaid/<name>/.
function(prepaid_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(prepaid_${name} STATIC ${ARG_SOURCES})
  add_library(prepaid::${name} ALIAS prepaid_${name})
  target_include_directories(prepaid_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  # Warnings first: a dependency's own suppressions (dep::cli11) must come after them.
  target_link_libraries(prepaid_${name} PRIVATE prepaid::warnings prepaid::options)
  target_link_libraries(prepaid_${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()

# prepaid_executable(<name> SOURCES … [LIBS …] [SMOKE_LABEL <area>])
# Builds a program and registers its CLI smoke tests (--version, --help, unknown flag).
function(prepaid_executable name)
  cmake_parse_arguments(ARG "" "SMOKE_LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE prepaid::warnings prepaid::options prepaid::version ${ARG_LIBS})
  if(ARG_SMOKE_LABEL)
    foreach(mode IN ITEMS version help unknown-flag)
      add_test(NAME smoke.${name}.${mode}
               COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:${name}> -DMODE=${mode}
                       -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/tests/smoke/smoke.cmake)
      set_tests_properties(smoke.${name}.${mode} PROPERTIES LABELS "${ARG_SMOKE_LABEL};smoke")
    endforeach()
  endif()
endfunction()

function(_prepaid_test_paths target)
  target_compile_definitions(
    ${target} PRIVATE PREPAID_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                      PREPAID_BINARY_DIR="${PROJECT_BINARY_DIR}")
endfunction()

# prepaid_test(<name> LABEL <area> SOURCES … [LIBS …])
# A GoogleTest program; every discovered test carries the area label (ctest -L <area>).
function(prepaid_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "prepaid_test(${name}): LABEL <area> is required")
  endif()
  prepaid_dependency(gtest)
  prepaid_dependency(gmock)
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE prepaid::warnings prepaid::options ${ARG_LIBS} dep::gmock
                                        dep::gtest GTest::gtest_main)
  _prepaid_test_paths(${name})
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABEL}" DISCOVERY_TIMEOUT 60
                       DISCOVERY_MODE PRE_TEST)
endfunction()

# prepaid_benchmark(<name> LABEL <area> SOURCES … [LIBS …] [SMOKE_ARGS …])
# Built by default, run by hand; the test suite runs it once with tiny sizes so it cannot rot.
function(prepaid_benchmark name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;LIBS;SMOKE_ARGS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE prepaid::warnings prepaid::options prepaid::version ${ARG_LIBS})
  _prepaid_test_paths(${name})
  add_test(NAME bench.${name}.smoke COMMAND ${name} ${ARG_SMOKE_ARGS})
  set_tests_properties(bench.${name}.smoke PROPERTIES LABELS "${ARG_LABEL};bench")
endfunction()

# prepaid_fuzzer(<name> LABEL <area> SOURCES … [LIBS …] CORPUS <dir>)
# SOURCES define LLVMFuzzerTestOneInput. Under the 'fuzz' preset this is a libFuzzer program;
# in the normal build it links a replay driver and the test suite replays the seed corpus.
function(prepaid_fuzzer name)
  cmake_parse_arguments(ARG "" "LABEL;CORPUS" "SOURCES;LIBS" ${ARGN})
  if(PREPAID_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${PREPAID_LIBSTDCXX})
    add_dependencies(fuzzers ${name})
  else()
    add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
  endif()
  target_link_libraries(${name} PRIVATE prepaid::warnings prepaid::options ${ARG_LIBS})
  add_test(NAME fuzz.${name}.replay COMMAND ${name} ${ARG_CORPUS})
  set_tests_properties(fuzz.${name}.replay PROPERTIES LABELS "${ARG_LABEL};fuzz")
endfunction()
