# Writes OUTPUT (generated/build_commit.h) with ETAGD_COMMIT, the source tree's git commit,
# for etagd_build_info and --version. Run at every build, but the file is rewritten only when
# the commit changes, so only main.cpp recompiles after a commit. COMMIT, when given (a build
# from a tarball, a distribution package), wins over git; without either it is "unknown".
if(NOT COMMIT)
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                    OUTPUT_VARIABLE COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0)
      set(COMMIT "")
    endif()
  endif()
endif()
if(NOT COMMIT)
  set(COMMIT "unknown")
endif()
set(text "#pragma once\n#define ETAGD_COMMIT \"${COMMIT}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
