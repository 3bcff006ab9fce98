// doctest's main for the soak test; its one TEST_CASE is a CTest test labelled `soak`.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
