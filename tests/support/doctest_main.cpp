// The one doctest main of the suite, linked into every test executable by etagd_test(). It
// sits in a static library, so the linker takes it only when a target defines no main itself.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
