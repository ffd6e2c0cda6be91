# Warnings and build options shared by every target (cpp-best-practices/cmake_template style).

option(PREPAID_WERROR "Treat compiler warnings as errors" OFF)
set(PREPAID_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address,undefined' or 'thread'")
option(PREPAID_COVERAGE "Instrument for gcov/llvm-cov coverage" OFF)
option(PREPAID_FUZZ "Build tests/fuzz targets as libFuzzer programs (needs clang)" OFF)

find_program(PREPAID_CCACHE ccache)
if(PREPAID_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER "${PREPAID_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${PREPAID_CCACHE}")
endif()

add_library(prepaid_warnings INTERFACE)
add_library(prepaid::warnings ALIAS prepaid_warnings)
target_compile_options(
  prepaid_warnings
  INTERFACE -Wall
            -Wextra
            -Wpedantic
            -Wshadow
            -Wconversion
            -Wsign-conversion
            -Wnon-virtual-dtor
            -Wold-style-cast
            -Woverloaded-virtual
            -Wnull-dereference
            -Wformat=2
            -Wimplicit-fallthrough
            $<$<BOOL:${PREPAID_WERROR}>:-Werror>)

add_library(prepaid_options INTERFACE)
add_library(prepaid::options ALIAS prepaid_options)
if(PREPAID_SANITIZE)
  target_compile_options(prepaid_options INTERFACE -fsanitize=${PREPAID_SANITIZE}
                                                   -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(prepaid_options INTERFACE -fsanitize=${PREPAID_SANITIZE})
endif()
if(PREPAID_COVERAGE)
  target_compile_options(prepaid_options INTERFACE --coverage -O0 -g)
  target_link_options(prepaid_options INTERFACE --coverage)
endif()
if(PREPAID_FUZZ)
  # The fuzz preset builds with clang 16 and libc++ 16: clang's own libstdc++ support lacks
  # <expected> (libstdc++ 12 needs __cpp_concepts >= 202002, clang 16 reports 201907).
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR "PREPAID_FUZZ needs clang >= 16 with libc++ (Debian packages: clang-16 "
                        "libclang-rt-16-dev libc++-16-dev libc++abi-16-dev); use the 'fuzz' preset")
  endif()
  target_compile_options(prepaid_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                   -fno-omit-frame-pointer)
  target_link_options(prepaid_options INTERFACE -fsanitize=address,undefined)
  # libFuzzer's runtime in libclang-rt-16-dev is built against libstdc++.
  find_library(PREPAID_LIBSTDCXX NAMES libstdc++.so.6 REQUIRED)
  add_custom_target(fuzzers)
endif()
