# Read by cpack (CPACK_PROJECT_CONFIG_FILE): refuse to package a build that must not be shipped.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(_adu_problems "")
  if(NOT CPACK_ADU_BUILD_TYPE STREQUAL "Release")
    string(APPEND _adu_problems " CMAKE_BUILD_TYPE is '${CPACK_ADU_BUILD_TYPE}', not Release;")
  endif()
  if(CPACK_ADU_SANITIZE)
    string(APPEND _adu_problems " ADU_SANITIZE is '${CPACK_ADU_SANITIZE}';")
  endif()
  if(CPACK_ADU_BUILD_TESTS)
    string(APPEND _adu_problems " ADU_BUILD_TESTS is ON;")
  endif()
  if(_adu_problems)
    message(FATAL_ERROR "adu-opwatch: this build dir cannot be packaged:${_adu_problems} configure a "
                        "package build with: cmake -S . -B build/package -DCMAKE_BUILD_TYPE=Release "
                        "-DADU_BUILD_TESTS=OFF")
  endif()
endif()
