# Compiler flags for a libFuzzer build (ETAGD_FUZZ=ON). The root CMakeLists.txt includes this
# before add_subdirectory(src), so the etagd libraries the fuzz targets link are built with
# coverage instrumentation: without it libFuzzer sees only the few lines of each target and
# mutates blind.
#
# -fsanitize=fuzzer-no-link instruments without linking libFuzzer's main(); only the targets
# themselves (tests/fuzz/CMakeLists.txt) link with -fsanitize=fuzzer. ASan+UBSan come from
# ETAGD_SANITIZE: a fuzzer without them finds only the bugs that happen to segfault.
if(NOT ETAGD_FUZZ)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "ETAGD_FUZZ needs clang (libFuzzer): configure with CC=clang CXX=clang++")
endif()
if(NOT ETAGD_SANITIZE)
  message(FATAL_ERROR "ETAGD_FUZZ needs -DETAGD_SANITIZE=ON (ASan+UBSan find what fuzzing reaches)")
endif()

add_compile_options(-fsanitize=fuzzer-no-link)
