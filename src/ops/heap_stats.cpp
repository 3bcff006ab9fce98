#include "ops/heap_stats.h"

#include <malloc.h>

namespace etagd::ops {

HeapStats read_heap_stats() {
  struct mallinfo2 mi = mallinfo2();
  HeapStats s;
  s.mmapped_bytes = mi.hblkhd;
  s.held_bytes = mi.arena + mi.hblkhd;
  s.in_use_bytes = mi.uordblks + mi.hblkhd;
  s.free_bytes = mi.fordblks;
  return s;
}

}  // namespace etagd::ops
