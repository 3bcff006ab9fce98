// ETAGD_ASSERT(condition, "what must hold"): checks a state machine's invariant in the debug
// and sanitizer builds (ETAGD_CHECK_INVARIANTS) and costs nothing in release builds. A failed
// check prints where and what, then aborts, so the sanitizer build's tests catch it.
// Unlike assert(), it does not depend on NDEBUG, which CMake's RelWithDebInfo (the sanitizer
// build) defines.
#pragma once

#include <cstdio>
#include <cstdlib>

#if defined(ETAGD_CHECK_INVARIANTS)
#define ETAGD_ASSERT(condition, what)                                                       \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", __FILE__, __LINE__,      \
                   what, #condition);                                                       \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
#else
#define ETAGD_ASSERT(condition, what) \
  do {                                \
    (void)sizeof(!(condition));       \
  } while (false)
#endif
