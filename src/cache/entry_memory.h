// Where a cache entry's single block of memory comes from.
//
// Small entries come from malloc. Large ones get a mapping of their own: when entries of one
// size class are evicted to make room for another, malloc's heap keeps the holes (a 300 KiB
// hole cannot hold a 400 KiB body; it stays resident until a trim, and is reused only by
// something that fits), so a cache whose body sizes shifted held twice its budget in RSS
// (bench/memory_shift). A mapped entry goes back to the kernel, page for page, when it is
// freed. The threshold is kMappedEntryBytes, raised for caches above 1 GiB so that the cache
// never holds more than kMaxMappedEntries mappings, far below the kernel's vm.max_map_count
// (65530 by default): 4096 for a 256 MiB cache.
#pragma once

#include <cstddef>
#include <cstdint>

namespace etagd::cache {

constexpr size_t kMappedEntryBytes = 64 * 1024;
constexpr size_t kMaxMappedEntries = 16384;

// Sets the threshold for a cache of `max_memory` bytes: max(kMappedEntryBytes,
// max_memory / kMaxMappedEntries). Called once at start, before any entry is built (an
// entry's block is freed the way the threshold at its allocation said).
void set_mapped_entry_threshold(uint64_t max_memory);
// Blocks of at least this many bytes get a mapping of their own.
size_t mapped_entry_threshold();

// A block of at least `bytes` (aligned for any type); throws std::bad_alloc when out of memory.
void* allocate_entry_block(size_t bytes);
// Frees a block from allocate_entry_block(bytes), with the same `bytes`.
void free_entry_block(void* block, size_t bytes);
// Running total of bytes of malloc'ed entry blocks freed (heap_bytes() each): what a heap
// trimmer watches (ops/heap_trim.h).
uint64_t heap_entry_bytes_freed();
// Bytes in entry blocks that have a mapping of their own now (whole pages): memory outside
// malloc's heap that etagd_heap_bytes adds.
uint64_t mapped_entry_bytes();
// What such a block costs in process memory (heap_bytes() below the threshold, whole pages
// at or above it).
size_t entry_block_bytes(size_t bytes);

}  // namespace etagd::cache
