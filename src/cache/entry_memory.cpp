#include "cache/entry_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <new>

#include "cache/heap_bytes.h"

namespace etagd::cache {

namespace {

// Touched once per entry built or freed (a miss or an eviction, never a hit).
std::atomic<uint64_t> g_heap_freed{0};
std::atomic<uint64_t> g_mapped{0};
std::atomic<size_t> g_threshold{kMappedEntryBytes};

constexpr size_t whole_pages(size_t bytes) { return (bytes + kPageSize - 1) / kPageSize * kPageSize; }

}  // namespace

void set_mapped_entry_threshold(uint64_t max_memory) {
  g_threshold.store(std::max<size_t>(kMappedEntryBytes, max_memory / kMaxMappedEntries),
                    std::memory_order_relaxed);
}

size_t mapped_entry_threshold() { return g_threshold.load(std::memory_order_relaxed); }

void* allocate_entry_block(size_t bytes) {
  if (bytes < mapped_entry_threshold()) return ::operator new(bytes);
  // MAP_POPULATE: the pages are written right away (the body is copied in), so fault them in
  // with the mapping instead of one fault per page.
  void* p = ::mmap(nullptr, whole_pages(bytes), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  g_mapped.fetch_add(whole_pages(bytes), std::memory_order_relaxed);
  return p;
}

void free_entry_block(void* block, size_t bytes) {
  if (bytes < mapped_entry_threshold()) {
    ::operator delete(block);
    g_heap_freed.fetch_add(heap_bytes(bytes), std::memory_order_relaxed);
    return;
  }
  ::munmap(block, whole_pages(bytes));
  g_mapped.fetch_sub(whole_pages(bytes), std::memory_order_relaxed);
}

uint64_t heap_entry_bytes_freed() { return g_heap_freed.load(std::memory_order_relaxed); }

uint64_t mapped_entry_bytes() { return g_mapped.load(std::memory_order_relaxed); }

size_t entry_block_bytes(size_t bytes) {
  return bytes < mapped_entry_threshold() ? heap_bytes(bytes) : whole_pages(bytes);
}

}  // namespace etagd::cache
