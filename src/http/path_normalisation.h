// Normalising the path of a request target before anything looks at it: rule matching, the
// cache key, invalidation, and what goes upstream. Rules match path prefixes; an origin that
// resolves "/live/../api/private" or merges "//api/private" would otherwise serve one resource
// under another resource's rule (its cache mode, key headers and Cache-Control skipped).
// nginx resolves dot segments and merges slashes before `location` matching; so does etagd.
#pragma once

#include <string>
#include <string_view>

namespace etagd::http {

enum class PathNormalisation {
  Unchanged,  // the path was already normal: `out` was not touched
  Changed,    // `out` holds the normal form
  AboveRoot,  // a ".." climbs above "/" ("/../x", "/a/../../x"): the request is refused
};

// Normalises `path` (the part of an origin-form target before '?', starting with '/'):
// - dot segments are removed as RFC 3986 §5.2.4 remove_dot_segments does ("/a/./b" -> "/a/b",
//   "/a/b/../c" -> "/a/c", "/a/b/.." -> "/a/"); a segment that percent-decodes to "." or ".."
//   ("%2e", ".%2E") counts as one, because origins decode before they resolve;
// - consecutive slashes are merged ("/a//b" -> "/a/b", "//a" -> "/a"), as nginx's
//   merge_slashes does;
// - a trailing slash is kept ("/a/" stays "/a/"); nothing else is decoded or re-encoded
//   ("%2F" and "/a%2eb" stay as they are).
// Unlike remove_dot_segments, which stops a ".." at the root, a ".." above the root is an
// error (AboveRoot): such a request is an attempt to name something outside the tree, not a
// resource (nginx answers it 400 too). The common case, a normal path, costs one scan and no
// allocation.
PathNormalisation normalise_path(std::string_view path, std::string& out);

}  // namespace etagd::http
