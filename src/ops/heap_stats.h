// What glibc's malloc holds, for etagd_heap_bytes and etagd_heap_free_bytes: read with
// mallinfo2() when /metrics is scraped (it walks the arena's free lists under its lock, so it
// is for a scrape, not a request). Together with etagd_cache_bytes they explain RSS: the cache
// charges its entries (in_use_bytes covers them, plus connections and buffers), free_bytes is
// what malloc keeps for reuse, and RSS is about held_bytes plus the binary, libraries and
// stacks (a few MiB), less the free pages a trim has given back.
#pragma once

#include <cstdint>

namespace etagd::ops {

struct HeapStats {
  uint64_t held_bytes = 0;     // from the kernel: the heap (brk) plus mmapped chunks
  uint64_t in_use_bytes = 0;   // allocated chunks, mmapped ones included
  uint64_t free_bytes = 0;     // free chunks inside the heap (held_bytes - in_use_bytes)
  uint64_t mmapped_bytes = 0;  // chunks of their own mapping (at or above the mmap threshold)
};

HeapStats read_heap_stats();

}  // namespace etagd::ops
