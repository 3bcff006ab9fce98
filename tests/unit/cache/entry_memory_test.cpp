#include "cache/entry_memory.h"

#include <doctest/doctest.h>

#include <cstring>

#include "cache/cache_entry.h"
#include "cache/heap_bytes.h"
#include "entry_builder.h"

using namespace etagd::cache;

TEST_CASE("a small entry block comes from malloc and is counted as freed heap when freed") {
  const size_t bytes = 1000;
  uint64_t freed = heap_entry_bytes_freed();
  uint64_t mapped = mapped_entry_bytes();
  void* block = allocate_entry_block(bytes);
  std::memset(block, 1, bytes);
  CHECK(mapped_entry_bytes() == mapped);
  CHECK(entry_block_bytes(bytes) == heap_bytes(bytes));
  free_entry_block(block, bytes);
  CHECK(heap_entry_bytes_freed() == freed + heap_bytes(bytes));
}

TEST_CASE("a large entry block is a mapping of whole pages, given back to the kernel when freed") {
  const size_t bytes = mapped_entry_threshold() + 1;
  const size_t pages = (bytes + kPageSize - 1) / kPageSize * kPageSize;
  uint64_t freed = heap_entry_bytes_freed();
  uint64_t mapped = mapped_entry_bytes();
  void* block = allocate_entry_block(bytes);
  std::memset(block, 1, bytes);
  CHECK(reinterpret_cast<uintptr_t>(block) % kPageSize == 0);
  CHECK(mapped_entry_bytes() == mapped + pages);
  CHECK(entry_block_bytes(bytes) == pages);
  free_entry_block(block, bytes);
  CHECK(mapped_entry_bytes() == mapped);
  CHECK(heap_entry_bytes_freed() == freed);  // not the heap's: nothing for a trim to do
}

TEST_CASE("an entry with a large body is charged its whole pages and unmapped with its last "
          "reference") {
  uint64_t mapped = mapped_entry_bytes();
  EntryRef e = testing::entry("h/big", 200'000);
  CHECK(mapped_entry_bytes() > mapped + 200'000);
  CHECK(e->charge() >= mapped_entry_bytes() - mapped);
  CHECK(e->body().size() == 200'000);
  e.reset();
  CHECK(mapped_entry_bytes() == mapped);
}

TEST_CASE("a cache above 1 GiB raises the threshold so that it never holds more than "
          "kMaxMappedEntries mappings") {
  set_mapped_entry_threshold(256ull << 20);
  CHECK(mapped_entry_threshold() == kMappedEntryBytes);
  set_mapped_entry_threshold(8ull << 30);
  CHECK(mapped_entry_threshold() == (8ull << 30) / kMaxMappedEntries);  // 512 KiB
  CHECK(entry_block_bytes(200'000) == heap_bytes(200'000));
  set_mapped_entry_threshold(0);
  CHECK(mapped_entry_threshold() == kMappedEntryBytes);
}
