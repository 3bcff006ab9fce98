#include "cache/coalescer.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <mutex>
#include <unordered_map>

namespace etagd::cache {

namespace {

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

}  // namespace

class Coalescer::Shard {
 public:
  std::mutex mu;
  // A key is present while its leader fetches; the value lists the waiters' wake-ups.
  std::unordered_map<std::string, std::vector<Wakeup>, KeyHash, std::equal_to<>> waiting;
};

Coalescer::Coalescer(unsigned shards) {
  unsigned n = std::bit_ceil(std::max(shards, 1u));
  shards_.reserve(n);
  for (unsigned i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

Coalescer::~Coalescer() = default;

Coalescer::Shard& Coalescer::shard_for(std::string_view key) const {
  // The high bits choose the shard; the shard's map uses the whole hash.
  uint64_t hash = XXH3_64bits(key.data(), key.size());
  return *shards_[(hash >> 32) & (shards_.size() - 1)];
}

bool Coalescer::join(std::string_view key, Wakeup wakeup) {
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.waiting.find(key);
  if (it == shard.waiting.end()) {
    shard.waiting.emplace(std::string(key), std::vector<Wakeup>());
    return true;
  }
  it->second.push_back(std::move(wakeup));
  return false;
}

void Coalescer::finish(std::string_view key, Coalescer::WakeReason reason) {
  Shard& shard = shard_for(key);
  std::vector<Wakeup> waiters;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.waiting.find(key);
    if (it == shard.waiting.end()) return;
    waiters = std::move(it->second);
    shard.waiting.erase(it);
  }
  // Outside the lock: a wake-up may post to a queue, or (in tests) join the key again.
  for (Wakeup& wake : waiters) {
    if (wake) wake(reason);
  }
}

size_t Coalescer::in_flight() const {
  size_t n = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    std::lock_guard lock(shard->mu);
    n += shard->waiting.size();
  }
  return n;
}

}  // namespace etagd::cache
