// doctest's main for the hardening integration tests; each TEST_CASE is its own CTest test.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
