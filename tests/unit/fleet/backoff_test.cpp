#include "fleet/backoff.h"

#include <doctest/doctest.h>

#include <vector>

using etagd::fleet::Backoff;
using std::chrono::milliseconds;

TEST_CASE("the back-off doubles from reconnect_min and then stays at reconnect_max") {
  Backoff b(milliseconds(100), milliseconds(1000));
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(static_cast<long>(b.next().count()));
  CHECK(delays == std::vector<long>{100, 200, 400, 800, 1000, 1000, 1000, 1000});
}

TEST_CASE("a success resets the back-off to reconnect_min") {
  Backoff b(milliseconds(50), milliseconds(5000));
  b.next();
  b.next();
  b.next();
  b.reset();
  CHECK(b.next() == milliseconds(50));
  CHECK(b.next() == milliseconds(100));
}

TEST_CASE("equal min and max give a constant delay") {
  Backoff b(milliseconds(250), milliseconds(250));
  for (int i = 0; i < 5; ++i) CHECK(b.next() == milliseconds(250));
}

TEST_CASE("a zero min, or a max below min, still gives positive bounded delays") {
  Backoff zero(milliseconds(0), milliseconds(8));
  CHECK(zero.next() == milliseconds(1));
  CHECK(zero.next() == milliseconds(2));
  Backoff inverted(milliseconds(300), milliseconds(100));
  CHECK(inverted.next() == milliseconds(300));
  CHECK(inverted.next() == milliseconds(300));
}

TEST_CASE("a huge reconnect_max never overflows the delay") {
  milliseconds huge = milliseconds::max();
  Backoff b(milliseconds(1), huge);
  milliseconds previous(0);
  for (int i = 0; i < 200; ++i) {
    milliseconds d = b.next();
    CHECK(d > milliseconds(0));
    CHECK(d >= previous);
    CHECK(d <= huge);
    previous = d;
  }
  CHECK(previous == huge);
}
