# tapedeck_library(NAME DIR [DEPS ...]): one static library per src/ folder, sources
# picked up from that folder so adding a file needs no CMake edit.
function(tapedeck_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT sources)
    # A folder whose first source is not written yet still gives a linkable target.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# tapedeck_test(NAME DIR LABEL [DEPS ...]): one GoogleTest binary per tests/ folder.
function(tapedeck_test name dir label)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(${name} PRIVATE
    TAPEDECK_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TAPEDECK_FIXTURE_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
    TAPEDECK_BINARY="${CMAKE_BINARY_DIR}/tapedeck")
  # End-to-end tests run the binary itself.
  if(TARGET tapedeck)
    add_dependencies(${name} tapedeck)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  if(label STREQUAL "unit")
    set_property(GLOBAL APPEND PROPERTY TAPEDECK_UNIT_TESTS ${name})
  endif()
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
endfunction()
