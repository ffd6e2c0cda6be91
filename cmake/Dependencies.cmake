# Every third-party library comes from a Debian 12 package. A module asks for what it uses with
# prepaid_dependency(<key>) and links the target dep::<key>; a missing package stops the configure
# with the name of the Debian package to install.

find_package(PkgConfig QUIET)
find_package(Threads REQUIRED)

function(_prepaid_missing key debian)
  message(FATAL_ERROR "Prepaid needs '${key}', which was not found. "
                      "Install the Debian package with: sudo apt-get install ${debian} "
                      "(installer/setup.sh installs every package the project needs).")
endfunction()

# key|kind|name|target-or-module|debian-package  (kind: cmake = find_package, pkg = pkg-config)
set(_PREPAID_DEPENDENCIES
    "sqlite3|cmake|SQLite3|SQLite::SQLite3|libsqlite3-dev"
    "crypto|cmake|OpenSSL|OpenSSL::Crypto|libssl-dev"
    "ssl|cmake|OpenSSL|OpenSSL::SSL|libssl-dev"
    "curl|cmake|CURL|CURL::libcurl|libcurl4-openssl-dev"
    "gtest|cmake|GTest|GTest::gtest|libgtest-dev"
    "gmock|cmake|GTest|GTest::gmock|libgmock-dev"
    "benchmark|cmake|benchmark|benchmark::benchmark|libbenchmark-dev"
    "json|cmake|nlohmann_json|nlohmann_json::nlohmann_json|nlohmann-json3-dev"
    "spdlog|cmake|spdlog|spdlog::spdlog|libspdlog-dev"
    "cli11|cmake|CLI11|CLI11::CLI11|libcli11-dev"
    "toml|cmake|tomlplusplus|tomlplusplus::tomlplusplus|libtomlplusplus-dev"
    "rapidcheck|cmake|rapidcheck|rapidcheck|librapidcheck-dev"
    "sdl2|cmake|SDL2|SDL2::SDL2|libsdl2-dev"
    "httplib|pkg|cpp-httplib|cpp-httplib|libcpp-httplib-dev"
    "modbus|pkg|libmodbus|libmodbus|libmodbus-dev"
    "qrencode|pkg|libqrencode|libqrencode|libqrencode-dev"
    "xlsxwriter|pkg|xlsxwriter|xlsxwriter|libxlsxwriter-dev"
    "imgui|pkg|imgui|imgui|libimgui-dev"
    "freetype|pkg|freetype2|freetype2|libfreetype-dev"
    "opengl|pkg|opengl|opengl|libgl-dev"
    "stb|pkg|stb|stb|libstb-dev")

function(prepaid_dependency key)
  if(TARGET dep::${key})
    return()
  endif()
  foreach(row IN LISTS _PREPAID_DEPENDENCIES)
    if(NOT row MATCHES "^${key}\\|")
      continue()
    endif()
    string(REPLACE "|" ";" fields "${row}")
    list(GET fields 1 kind)
    list(GET fields 2 name)
    list(GET fields 3 target)
    list(GET fields 4 debian)
    if(kind STREQUAL "cmake")
      find_package(${name} QUIET GLOBAL)
      if(NOT TARGET ${target})
        _prepaid_missing(${key} ${debian})
      endif()
      if(key STREQUAL "cli11")
        # GCC 12 at -O2 reports a false -Wnull-dereference inside libstdc++'s basic_string as
        # inlined from CLI11's option parsing; every program that parses its command line with
        # CLI11 would trip it, so the suppression travels with the dependency.
        add_library(prepaid_dep_cli11 INTERFACE)
        target_link_libraries(prepaid_dep_cli11 INTERFACE ${target})
        target_compile_options(prepaid_dep_cli11
                               INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-null-dereference>)
        add_library(dep::${key} ALIAS prepaid_dep_cli11)
      else()
        add_library(dep::${key} ALIAS ${target})
      endif()
    else()
      if(NOT PKG_CONFIG_FOUND)
        _prepaid_missing(pkg-config pkg-config)
      endif()
      pkg_check_modules(PREPAID_DEP_${key} QUIET IMPORTED_TARGET GLOBAL ${target})
      if(NOT PREPAID_DEP_${key}_FOUND)
        _prepaid_missing(${key} ${debian})
      endif()
      add_library(dep::${key} ALIAS PkgConfig::PREPAID_DEP_${key})
    endif()
    return()
  endforeach()
  message(FATAL_ERROR "prepaid_dependency: unknown key '${key}' (add it to cmake/Dependencies.cmake)")
endfunction()
