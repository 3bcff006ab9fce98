#include "cache/prefix_generations.h"

#include <algorithm>

namespace etagd::cache {

namespace {

uint64_t& slot(auto& seqs, PrefixMatch match) {
  return match == PrefixMatch::Bytes ? seqs.bytes : seqs.segments;
}

}  // namespace

bool PrefixGenerations::record(std::string_view prefix, uint64_t seq, PrefixMatch match) {
  // A segment prefix ending in '/' ("/api/", or "/" itself) covers exactly what the byte
  // prefix covers; one kind then serves both.
  if (!prefix.empty() && prefix.back() == '/') match = PrefixMatch::Bytes;
  auto it = seq_by_prefix_.find(prefix);
  if (it != seq_by_prefix_.end()) {
    uint64_t& s = slot(it->second, match);
    s = std::max(s, seq);
    return true;
  }
  if (seq_by_prefix_.size() >= max_prefixes_) return false;
  Seqs seqs;
  slot(seqs, match) = seq;
  seq_by_prefix_.emplace(std::string(prefix), seqs);
  auto pos = std::lower_bound(lengths_.begin(), lengths_.end(), prefix.size());
  if (pos == lengths_.end() || *pos != prefix.size()) lengths_.insert(pos, prefix.size());
  return true;
}

uint64_t PrefixGenerations::newest_covering(std::string_view path) const {
  uint64_t newest = 0;
  for (size_t len : lengths_) {
    if (len > path.size()) break;
    auto it = seq_by_prefix_.find(path.substr(0, len));
    if (it == seq_by_prefix_.end()) continue;
    newest = std::max(newest, it->second.bytes);
    bool at_boundary = len == path.size() || path[len] == '/' || path[len] == '?';
    if (at_boundary) newest = std::max(newest, it->second.segments);
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
