// A shard's record of prefix invalidations: path prefix -> sequence number of the latest
// invalidate_prefix that named it. An entry whose path starts with a recorded prefix and whose
// own sequence number is lower was built before that invalidation and must not be served.
//
// A prefix matches in one of two ways (PrefixMatch): byte-wise, as an operator's explicit
// "/api/uploads/" does, or segment-wise, as a prefix derived from a request path does:
// "/api/users" then covers "/api/users", "/api/users/7" and "/api/users?page=2", never
// "/api/usersettings". Both kinds of one prefix share a record (two sequence numbers).
//
// Looking a path up costs one hash probe per distinct recorded prefix length that is not
// longer than the path (a handful in practice: "/api/uploads/", "/api/items"), and nothing
// when no prefix was ever recorded. Not thread-safe: the shard's mutex guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace etagd::cache {

enum class PrefixMatch {
  Bytes,     // the path starts with the prefix
  Segments,  // ... and the prefix ends at a segment boundary: end, '/' or '?' follows
};

class PrefixGenerations {
 public:
  explicit PrefixGenerations(size_t max_prefixes) : max_prefixes_(max_prefixes) {}

  // Records that everything under `prefix` older than `seq` is invalid. Returns false, and
  // records nothing, when that would hold more than max_prefixes distinct prefixes: the caller
  // then clear()s and invalidates everything older than `seq` at once.
  bool record(std::string_view prefix, uint64_t seq, PrefixMatch match = PrefixMatch::Bytes);
  // The highest sequence number recorded for any prefix of `path`; 0 if none.
  uint64_t newest_covering(std::string_view path) const;

  bool empty() const { return seq_by_prefix_.empty(); }
  size_t size() const { return seq_by_prefix_.size(); }
  void clear();

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  struct Seqs {
    uint64_t bytes = 0;     // newest PrefixMatch::Bytes invalidation
    uint64_t segments = 0;  // newest PrefixMatch::Segments invalidation
  };

  size_t max_prefixes_;
  std::unordered_map<std::string, Seqs, Hash, std::equal_to<>> seq_by_prefix_;
  std::vector<size_t> lengths_;  // distinct prefix lengths, ascending
};

}  // namespace etagd::cache
