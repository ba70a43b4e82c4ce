# tapedeck_header_tree(NAME OUT_VAR): links the headers of the current src/ folder into
# build/include/<NAME>/<folder>/ and sets OUT_VAR to build/include/<NAME>.
function(tapedeck_header_tree name out_var)
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(include_root ${CMAKE_BINARY_DIR}/include/${name})
  file(REMOVE_RECURSE ${include_root})
  file(MAKE_DIRECTORY ${include_root}/${folder})
  foreach(header ${headers})
    get_filename_component(file_name ${header} NAME)
    file(CREATE_LINK ${header} ${include_root}/${folder}/${file_name} SYMBOLIC)
  endforeach()
  set(${out_var} ${include_root} PARENT_SCOPE)
endfunction()

# tapedeck_library(NAME DIR [DEPS ...]): one static library per src/ folder, sources
# picked up from that folder so adding a file needs no CMake edit.
#
# A library exposes only its own headers: they are linked into an include tree of its own,
# build/include/<NAME>/<folder under src>/<header>, which is the library's one include
# directory. A target sees the headers of the libraries it links (and of their public
# dependencies) and no others, so including another component's header without declaring the
# dependency fails to build.
function(tapedeck_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  tapedeck_header_tree(${name} include_root)
  if(NOT sources)
    # A folder of headers only still gives a linkable target.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${include_root})
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${include_root})
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
  # Sources under test are reached through the libraries linked below (tapedeck_library).
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
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
