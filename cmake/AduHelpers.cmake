# adu_test(NAME SOURCES a.cpp b.cpp LIBS x y [LABELS l]): a GoogleTest binary registered with ctest.
function(adu_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest GTest::gtest_main)
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${labels}")
endfunction()

# Targets that include cpprest headers: cpprest's U() macro and platform strings clash with fmt 9.
function(adu_use_cpprest target)
  target_compile_definitions(${target} PRIVATE _TURN_OFF_PLATFORM_STRING)
  target_link_libraries(${target} PRIVATE cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto)
endfunction()
