// What an allocation really costs in process memory, for honest cache charges.
// The figures model glibc malloc on 64-bit Linux (Debian's allocator): a chunk is the request
// plus an 8-byte size header, rounded up to 16 bytes, at least 32; requests at or above the
// mmap threshold get whole pages. etagd fixes that threshold at kMmapThreshold (src/main.cpp)
// instead of glibc's moving default, so this model and the allocator agree. (Cache entries of
// 64 KiB and more do not come from malloc at all: cache/entry_memory.h.) Another allocator differs by a few bytes per
// chunk; the estimate is meant to make RSS follow the budget, not to be exact.
#pragma once

#include <cstddef>
#include <string>

namespace etagd::cache {

constexpr size_t kMmapThreshold = 1024 * 1024;
constexpr size_t kPageSize = 4096;

constexpr size_t heap_bytes(size_t request) {
  if (request == 0) return 0;
  if (request >= kMmapThreshold) return (request + 16 + kPageSize - 1) / kPageSize * kPageSize;
  size_t chunk = (request + 8 + 15) / 16 * 16;
  return chunk < 32 ? 32 : chunk;
}

}  // namespace etagd::cache
