#include "cache/prefix_generations.h"

#include <algorithm>

namespace etagd::cache {

bool PrefixGenerations::record(std::string_view prefix, uint64_t seq) {
  auto it = seq_by_prefix_.find(prefix);
  if (it != seq_by_prefix_.end()) {
    it->second = std::max(it->second, seq);
    return true;
  }
  if (seq_by_prefix_.size() >= max_prefixes_) return false;
  seq_by_prefix_.emplace(std::string(prefix), seq);
  auto pos = std::lower_bound(lengths_.begin(), lengths_.end(), prefix.size());
  if (pos == lengths_.end() || *pos != prefix.size()) lengths_.insert(pos, prefix.size());
  return true;
}

uint64_t PrefixGenerations::newest_covering(std::string_view path) const {
  uint64_t newest = 0;
  for (size_t len : lengths_) {
    if (len > path.size()) break;
    auto it = seq_by_prefix_.find(path.substr(0, len));
    if (it != seq_by_prefix_.end()) newest = std::max(newest, it->second);
  }
  return newest;
}

void PrefixGenerations::clear() {
  seq_by_prefix_.clear();
  seq_by_prefix_.rehash(0);
  lengths_.clear();
  lengths_.shrink_to_fit();
}

}  // namespace etagd::cache
