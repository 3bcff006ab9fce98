#include "fleet/apply_message.h"

#include <doctest/doctest.h>

#include "cache/cache_key.h"
#include "entries.h"

using etagd::cache::CacheStore;
using etagd::cache::CacheStoreOptions;
using etagd::fleet::apply_message;
using etagd::fleet::Inbound;
using etagd::fleet::Message;
using etagd::fleet::MessageKind;
using etagd::fleet::testing::entry;
using etagd::http::HeaderList;

namespace {

constexpr const char* kSelf = "web-1#00000001";
constexpr const char* kPeer = "web-2#00000002";
const HeaderList kNoHeaders;

CacheStoreOptions small_store() {
  CacheStoreOptions o;
  o.max_memory = 1 << 20;
  o.shards = 4;
  return o;
}

bool present(CacheStore& cache, std::string_view key) {
  return cache.lookup(key, kNoHeaders).entry != nullptr;
}

}  // namespace

TEST_CASE("a url message from another instance removes that URL and nothing else") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/items/1"));
  cache.insert(entry("api.example.com/items/2"));
  CHECK(apply_message({kPeer, MessageKind::Url, "api.example.com/items/1"}, kSelf, cache) ==
        Inbound::Applied);
  CHECK_FALSE(present(cache, "api.example.com/items/1"));
  CHECK(present(cache, "api.example.com/items/2"));
}

TEST_CASE("a prefix message from another instance hides everything under the path prefix") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/uploads/a"));
  cache.insert(entry("other.example.com/uploads/b"));
  cache.insert(entry("api.example.com/items/1"));
  CHECK(apply_message({kPeer, MessageKind::Prefix, "/uploads/"}, kSelf, cache) == Inbound::Applied);
  CHECK_FALSE(present(cache, "api.example.com/uploads/a"));
  CHECK_FALSE(present(cache, "other.example.com/uploads/b"));
  CHECK(present(cache, "api.example.com/items/1"));
}

TEST_CASE("a path message hides that path and what lies below it, segment-wise, on every host") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/users"));
  cache.insert(entry("other.example.com/users/7"));
  cache.insert(entry("api.example.com/usersettings"));
  CHECK(apply_message({kPeer, MessageKind::Path, "/users"}, kSelf, cache) == Inbound::Applied);
  CHECK_FALSE(present(cache, "api.example.com/users"));
  CHECK_FALSE(present(cache, "other.example.com/users/7"));
  CHECK(present(cache, "api.example.com/usersettings"));
}

TEST_CASE("a target message drops that path and query on every host, and nothing else") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/items/3"));
  cache.insert(entry("127.0.0.1:8080/items/3"));
  cache.insert(entry("api.example.com/items/30"));
  CHECK(apply_message({kPeer, MessageKind::Target, "/items/3"}, kSelf, cache) == Inbound::Applied);
  CHECK_FALSE(present(cache, "api.example.com/items/3"));
  CHECK_FALSE(present(cache, "127.0.0.1:8080/items/3"));
  CHECK(present(cache, "api.example.com/items/30"));
}

TEST_CASE("an all message keeps entries but forces each to be revalidated") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/items/1"));
  CHECK_FALSE(cache.lookup("api.example.com/items/1", kNoHeaders).forced_stale);
  CHECK(apply_message({kPeer, MessageKind::All, ""}, kSelf, cache) == Inbound::Applied);
  auto found = cache.lookup("api.example.com/items/1", kNoHeaders);
  REQUIRE(found.entry != nullptr);
  CHECK(found.forced_stale);
}

TEST_CASE("an instance ignores its own invalidations coming back from Redis") {
  CacheStore cache(small_store());
  // Stored after the local invalidation (a refetch): the echo must not drop it again.
  cache.insert(entry("api.example.com/items/1"));
  CHECK(apply_message({kSelf, MessageKind::Url, "api.example.com/items/1"}, kSelf, cache) ==
        Inbound::OwnMessage);
  CHECK(apply_message({kSelf, MessageKind::Prefix, "/"}, kSelf, cache) == Inbound::OwnMessage);
  CHECK(apply_message({kSelf, MessageKind::All, ""}, kSelf, cache) == Inbound::OwnMessage);
  auto found = cache.lookup("api.example.com/items/1", kNoHeaders);
  REQUIRE(found.entry != nullptr);
  CHECK_FALSE(found.forced_stale);
  CHECK(cache.stats().invalidations == 0);
}

TEST_CASE("another process with the same instance_id is another sender") {
  // The nonce tells them apart, so a copy-pasted instance_id cannot swallow invalidations.
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/items/1"));
  CHECK(apply_message({"web-1#ffffffff", MessageKind::Url, "api.example.com/items/1"}, kSelf,
                      cache) == Inbound::Applied);
  CHECK_FALSE(present(cache, "api.example.com/items/1"));
}

TEST_CASE("heartbeats change nothing, and only this instance's own is reported as ours") {
  CacheStore cache(small_store());
  cache.insert(entry("api.example.com/items/1"));
  CHECK(apply_message({kSelf, MessageKind::Heartbeat, "1"}, kSelf, cache) == Inbound::OwnHeartbeat);
  CHECK(apply_message({kPeer, MessageKind::Heartbeat, "1"}, kSelf, cache) ==
        Inbound::PeerHeartbeat);
  CHECK(present(cache, "api.example.com/items/1"));
  CHECK(cache.stats().invalidations == 0);
}
