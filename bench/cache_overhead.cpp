// What a cached entry costs beyond its header block and body, and whether process memory
// follows the cache budget. A plain program (not Google Benchmark): it measures bytes, not time.
//
//   cache_overhead              all measurements below, each in a fresh child process
//   cache_overhead entries N [vary]
//                               N entries, nothing evicted: accounted and RSS bytes per entry
//   cache_overhead fill MiB GiB [threads]
//                               insert GiB of entries into a MiB cache: RSS at the end
// "vary" makes every entry vary on Accept-Encoding (the cost of one VaryField).
//
// Entries look like etagd's: a ~40-byte URL key, a ~300-byte header block holding a content
// ETag, a 1-2 KiB body (copied into the entry's single allocation, as the proxy does).
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cache/cache_entry.h"
#include "cache/cache_store.h"
#include "http/header_list.h"

namespace {

using etagd::cache::CacheEntry;
using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::cache::EntryRef;
using etagd::cache::ResponseToStore;

constexpr double kMiB = 1024.0 * 1024.0;

// "vary" on the command line: every entry varies on Accept-Encoding (one VaryField).
bool g_vary = false;

// Resident set size, from /proc/self/statm (second field, in pages).
uint64_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Peak resident set size (VmHWM), from /proc/self/status.
uint64_t peak_rss_bytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtoull(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kib * 1024;
}

struct Sizes {
  uint64_t header = 0;
  uint64_t body = 0;
};

// One entry as the proxy would build it; `i` makes the key and the body length.
EntryRef make_entry(uint64_t i, std::mt19937_64& rng, Sizes& sizes) {
  std::string key =
      "api.example.com/v1/items/" + std::to_string(i) + "?page=" + std::to_string(i % 10);
  size_t body_len = 1024 + rng() % 1025;
  std::string body;
  body.reserve(body_len);
  body.append(body_len, static_cast<char>('a' + i % 26));

  ResponseToStore r;
  r.status = 200;
  char etag[32];
  std::snprintf(etag, sizeof etag, "\"%022" PRIu64 "\"", i);
  r.etag = etag;
  r.header_block.reserve(320);
  r.header_block += "Content-Type: application/json; charset=utf-8\r\n";
  r.header_block += "ETag: " + r.etag + "\r\n";
  r.header_block += "Cache-Control: max-age=60, must-revalidate\r\n";
  r.header_block += "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
  r.header_block += "Vary: Accept-Encoding\r\n";
  r.header_block += "X-Request-Id: 5f1c7a2e-8d3b-4c6a-9e0f-1b2c3d4e5f60\r\n";
  r.header_block += "Server-Timing: app;dur=12.5, db;dur=3.1\r\n";
  r.header_block += "Strict-Transport-Security: max-age=31536000\r\n";
  r.freshness.request_time = r.freshness.response_time = r.freshness.date_value =
      etagd::base::WallSeconds(std::chrono::seconds(1000));
  r.freshness.lifetime = std::chrono::seconds(60);
  if (g_vary) r.variant.push_back({"accept-encoding", "gzip"});
  r.body = std::move(body);
  sizes.header += r.header_block.size();
  sizes.body += body_len;
  return CacheEntry::make(key, std::move(r));
}

// N entries into a cache big enough for all of them.
int measure_entries(uint64_t n) {
  CacheStoreOptions o;
  o.max_memory = 64ull << 30;
  o.shards = 16;
  CacheStore store(o);
  std::mt19937_64 rng(n);
  Sizes sizes;
  uint64_t rss_before = rss_bytes();
  for (uint64_t i = 0; i < n; ++i) {
    if (!store.insert(make_entry(i, rng, sizes))) {
      std::fprintf(stderr, "insert %" PRIu64 " refused\n", i);
      return 1;
    }
  }
  uint64_t rss_after = rss_bytes();
  etagd::cache::CacheStats s = store.stats();
  double payload = static_cast<double>(sizes.header + sizes.body);
  double accounted_overhead = (static_cast<double>(s.bytes) - payload) / static_cast<double>(n);
  double rss_delta = static_cast<double>(rss_after - rss_before);
  double rss_overhead = (rss_delta - payload) / static_cast<double>(n);
  std::printf("entries %" PRIu64 "%s: header %.0f B + body %.0f B per entry on average\n", n,
              g_vary ? " varying on Accept-Encoding" : "",
              static_cast<double>(sizes.header) / static_cast<double>(n),
              static_cast<double>(sizes.body) / static_cast<double>(n));
  std::printf("  accounted  %.1f B/entry, overhead beyond header+body %.1f B/entry\n",
              static_cast<double>(s.bytes) / static_cast<double>(n), accounted_overhead);
  std::printf("  RSS delta  %.1f B/entry, overhead beyond header+body %.1f B/entry\n",
              rss_delta / static_cast<double>(n), rss_overhead);
  std::printf("  RSS delta / accounted = %.3f\n", rss_delta / static_cast<double>(s.bytes));
  return 0;
}

// Inserts `insert_gib` GiB of entries into a `cache_mib` MiB cache from `threads` threads.
int measure_fill(uint64_t cache_mib, double insert_gib, unsigned threads) {
  CacheStoreOptions o;
  o.max_memory = cache_mib << 20;
  o.shards = 16;
  CacheStore store(o);
  uint64_t rss_before = rss_bytes();
  uint64_t target = static_cast<uint64_t>(insert_gib * 1024 * kMiB);
  std::vector<std::thread> workers;
  std::vector<Sizes> sizes(threads);
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      uint64_t per_thread = target / threads;
      uint64_t i = t;
      while (sizes[t].header + sizes[t].body < per_thread) {
        store.insert(make_entry(i, rng, sizes[t]));
        i += threads;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  etagd::cache::CacheStats s = store.stats();
  uint64_t rss_after = rss_bytes();
  std::printf("fill %" PRIu64 " MiB cache with %.1f GiB from %u thread(s): %" PRIu64
              " inserts, %" PRIu64 " evictions, %" PRIu64 " entries stored\n",
              cache_mib, insert_gib, threads, s.inserts, s.evictions, s.entries);
  std::printf("  accounted %.1f MiB; RSS %.1f MiB (%.1f MiB before the cache), peak %.1f MiB\n",
              static_cast<double>(s.bytes) / kMiB, static_cast<double>(rss_after) / kMiB,
              static_cast<double>(rss_before) / kMiB, static_cast<double>(peak_rss_bytes()) / kMiB);
  // Free memory glibc keeps in its per-thread arenas, as opposed to memory the cache holds.
  malloc_trim(0);
  std::printf("  RSS after malloc_trim(0): %.1f MiB\n", static_cast<double>(rss_bytes()) / kMiB);
  return 0;
}

// Runs fn in a child process, so each measurement starts from a fresh heap.
template <typename Fn>
int in_child(Fn&& fn) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int rc = fn();
    std::fflush(stdout);
    std::_Exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "entries") == 0) {
    g_vary = argc >= 4 && std::strcmp(argv[3], "vary") == 0;
    return measure_entries(std::strtoull(argv[2], nullptr, 10));
  }
  if (argc >= 4 && std::strcmp(argv[1], "fill") == 0) {
    unsigned threads = argc >= 5 ? static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10)) : 1;
    return measure_fill(std::strtoull(argv[2], nullptr, 10), std::strtod(argv[3], nullptr),
                        threads == 0 ? 1 : threads);
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [entries N | fill CACHE_MiB INSERT_GiB [THREADS]]\n", argv[0]);
    return 2;
  }
  int rc = 0;
  rc |= in_child([] { return measure_entries(100'000); });
  rc |= in_child([] { return measure_entries(1'000'000); });
  rc |= in_child([] {
    g_vary = true;
    return measure_entries(1'000'000);
  });
  rc |= in_child([] { return measure_fill(256, 2.0, 1); });
  rc |= in_child([] { return measure_fill(256, 2.0, 4); });
  return rc;
}
