// Compression of stored responses: each coding kept as its own representation with its own
// strong ETag (RFC 9110 §8.8.3), chosen by Accept-Encoding (§12.5.3), with Vary, HEAD, Range
// and revalidation right. Bodies are checked by decoding them with the codec libraries.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cache_harness.h"
#include "support/content_decoding.h"

namespace etagd::testing {
namespace {

constexpr const char* kCompress =
    "compress: { encodings: [br, zstd, gzip], types: [application/json, \"text/*\"], "
    "min_size: 512B, level: { br: 5, zstd: 6, gzip: 6 } }";

std::string json_of(size_t n) {
  std::string s = "[";
  for (int i = 0; s.size() < n; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"name\":\"item " + std::to_string(i % 97) + "\"},";
  }
  s.resize(n);
  return s;
}

bool varies_on_accept_encoding(const HttpResponse& r) {
  for (const std::string& v : r.headers.all("Vary")) {
    if (v.find("Accept-Encoding") != std::string::npos) return true;
  }
  return false;
}

struct CompressFixture {
  explicit CompressFixture(std::string compress = kCompress) : etagd(origin, setup(compress)) {}
  CompressFixture(int) = delete;

  static CacheSetup setup(const std::string& compress) {
    CacheSetup s;
    s.defaults = compress;
    return s;
  }
  void serve(const std::string& path, const std::string& type, std::string content,
             HeaderFields extra = {}) {
    origin.route(path, [type, content, extra](const OriginRequest&, OriginReply& reply) {
      HeaderFields h = {{"Content-Type", type}, {"Cache-Control", "max-age=60"}};
      for (const auto& f : extra) h.set(f.name, f.value);
      reply.reply(200, h, content);
    });
  }

  ScriptedOrigin origin;
  CachingEtagd etagd;
};

// ScriptedOrigin must exist before the CachingEtagd: both are members, in this order.
struct Stored : CompressFixture {
  Stored() { serve("/api/items", "application/json", content); }
  std::string content = json_of(4096);
};

}  // namespace

TEST_CASE("a stored JSON response is sent in br, zstd or gzip as accepted, and each decodes to the identity body") {
  Stored f;
  HttpResponse identity = f.etagd.get("/api/items");
  CHECK(identity.status == 200);
  CHECK(identity.body == f.content);
  CHECK_FALSE(identity.headers.contains("Content-Encoding"));
  for (std::string coding : {"br", "zstd", "gzip"}) {
    CAPTURE(coding);
    HttpResponse r = f.etagd.get("/api/items", {{"Accept-Encoding", coding}});
    CHECK(r.status == 200);
    CHECK(cache_status(r) == "HIT");
    CHECK(r.headers.get("Content-Encoding") == coding);
    CHECK(r.headers.get("Content-Length") == std::to_string(r.body.size()));
    CHECK(r.body.size() * 3 < f.content.size());
    CHECK(etagd::test::decode_body(coding, r.body) == f.content);
  }
  CHECK(f.origin.request_count("/api/items") == 1);  // encoded once, at the miss
}

TEST_CASE("each representation has its own strong ETag and If-None-Match answers 304 for that representation only") {
  Stored f;
  std::string identity_tag = f.etagd.get("/api/items").headers.get("ETag");
  REQUIRE(identity_tag.size() > 2);
  std::vector<std::string> tags = {identity_tag};
  for (std::string coding : {"br", "zstd", "gzip"}) {
    CAPTURE(coding);
    std::string tag = f.etagd.get("/api/items", {{"Accept-Encoding", coding}}).headers.get("ETag");
    CHECK(tag == identity_tag.substr(0, identity_tag.size() - 1) + "-" + coding + "\"");
    CHECK(tag.front() == '"');  // strong
    HttpResponse again = f.etagd.get("/api/items", {{"Accept-Encoding", coding}, {"If-None-Match", tag}});
    CHECK(again.status == 304);
    CHECK(again.body.empty());
    CHECK(again.headers.get("ETag") == tag);
    CHECK(varies_on_accept_encoding(again));
    // The same tag from a client that now gets identity: other bytes, so the whole 200.
    HttpResponse other = f.etagd.get("/api/items", {{"If-None-Match", tag}});
    CHECK(other.status == 200);
    CHECK(other.body == f.content);
    CHECK(other.headers.get("ETag") == identity_tag);
    tags.push_back(tag);
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    for (size_t j = i + 1; j < tags.size(); ++j) CHECK(tags[i] != tags[j]);
  }
  // The identity tag revalidates identity, and not br.
  CHECK(f.etagd.get("/api/items", {{"If-None-Match", identity_tag}}).status == 304);
  HttpResponse br = f.etagd.get("/api/items", {{"Accept-Encoding", "br"}, {"If-None-Match", identity_tag}});
  CHECK(br.status == 200);
  CHECK(br.headers.get("Content-Encoding") == "br");
  CHECK(f.origin.request_count("/api/items") == 1);
}

TEST_CASE("Accept-Encoding weights choose the representation, ties go to the configured order") {
  Stored f;
  f.etagd.get("/api/items");
  struct Case {
    const char* accept;
    const char* coding;  // "" = identity
  };
  for (Case c : std::vector<Case>{
           {"gzip", "gzip"},
           {"gzip, deflate, br", "br"},            // tie: br comes first in encodings
           {"br;q=0.5, gzip;q=0.8", "gzip"},
           {"zstd;q=1, br;q=0.9", "zstd"},
           {"*", "br"},
           {"br;q=0, *", "zstd"},
           {"x-gzip", "gzip"},
           {"deflate", ""},
           {"identity", ""},
           {"gzip;q=0", ""},
           {"identity;q=0", ""},          // nothing acceptable: identity rather than a 406
           {"identity;q=0, *;q=0", ""},
           {"", ""},
       }) {
    CAPTURE(c.accept);
    HttpResponse r = f.etagd.get("/api/items", {{"Accept-Encoding", c.accept}});
    CHECK(r.status == 200);
    CHECK(r.headers.get("Content-Encoding") == c.coding);
    CHECK(varies_on_accept_encoding(r));
    std::string decoded = *c.coding ? etagd::test::decode_body(c.coding, r.body).value_or("")
                                    : r.body;
    CHECK(decoded == f.content);
  }
}

TEST_CASE("the configured order decides ties: encodings [gzip, br] sends gzip to 'br, gzip'") {
  CompressFixture f("compress: { encodings: [gzip, br] }");
  std::string content = json_of(2048);
  f.serve("/api/items", "application/json", content);
  CHECK(f.etagd.get("/api/items", {{"Accept-Encoding", "br, gzip"}}).headers.get("Content-Encoding") == "gzip");
  CHECK(f.etagd.get("/api/items", {{"Accept-Encoding", "br"}}).headers.get("Content-Encoding") == "br");
  // zstd is not listed: a zstd-only client gets identity.
  HttpResponse z = f.etagd.get("/api/items", {{"Accept-Encoding", "zstd"}});
  CHECK_FALSE(z.headers.contains("Content-Encoding"));
  CHECK(z.body == content);
}

TEST_CASE("HEAD gets the Content-Length and ETag of the representation GET would get, and no body") {
  Stored f;
  HttpResponse get = f.etagd.get("/api/items", {{"Accept-Encoding", "br"}});
  HttpResponse head = f.etagd.head("/api/items", {{"Accept-Encoding", "br"}});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.headers.get("Content-Encoding") == "br");
  CHECK(head.headers.get("Content-Length") == std::to_string(get.body.size()));
  CHECK(head.headers.get("ETag") == get.headers.get("ETag"));
  HttpResponse plain = f.etagd.head("/api/items");
  CHECK(plain.headers.get("Content-Length") == std::to_string(f.content.size()));
}

TEST_CASE("a HEAD that misses stores every representation, and a GET after it is a hit in br") {
  Stored f;
  f.etagd.head("/api/items", {{"Accept-Encoding", "br"}});
  HttpResponse r = f.etagd.get("/api/items", {{"Accept-Encoding", "br"}});
  CHECK(cache_status(r) == "HIT");
  CHECK(etagd::test::decode_body("br", r.body) == f.content);
  CHECK(f.origin.request_count("/api/items") == 1);
}

TEST_CASE("a Range request is answered from the identity bytes even when the client accepts br") {
  Stored f;
  f.etagd.get("/api/items", {{"Accept-Encoding", "br"}});
  HttpResponse part = f.etagd.get("/api/items", {{"Accept-Encoding", "br"}, {"Range", "bytes=10-19"}});
  CHECK(part.status == 206);
  CHECK_FALSE(part.headers.contains("Content-Encoding"));
  CHECK(part.body == f.content.substr(10, 10));
  CHECK(part.headers.get("Content-Range") == "bytes 10-19/" + std::to_string(f.content.size()));
  CHECK(varies_on_accept_encoding(part));
}

TEST_CASE("small bodies and media types not listed are not compressed and do not vary") {
  CompressFixture f;
  std::string small = json_of(511);
  std::string png(4096, 'x');
  f.serve("/api/small", "application/json", small);
  f.serve("/img.png", "image/png", png);
  f.serve("/page", "Text/HTML; charset=utf-8", json_of(1024));
  for (auto [path, body] : {std::pair{"/api/small", small}, std::pair{"/img.png", png}}) {
    CAPTURE(path);
    HttpResponse r = f.etagd.get(path, {{"Accept-Encoding", "br, gzip"}});
    CHECK(r.status == 200);
    CHECK_FALSE(r.headers.contains("Content-Encoding"));
    CHECK_FALSE(varies_on_accept_encoding(r));
    CHECK(r.body == body);
  }
  // text/* covers any subtype, whatever the case and parameters.
  CHECK(f.etagd.get("/page", {{"Accept-Encoding", "gzip"}}).headers.get("Content-Encoding") == "gzip");
}

TEST_CASE("a body that no coding shrinks is kept in identity only") {
  CompressFixture f;
  std::string noise = patterned_body(8192, 7);
  f.serve("/api/noise", "application/json", noise);
  HttpResponse r = f.etagd.get("/api/noise", {{"Accept-Encoding", "br, zstd, gzip"}});
  if (r.headers.contains("Content-Encoding")) {
    CHECK(r.body.size() < noise.size());  // a coding that shrank it is kept, and only such
  } else {
    CHECK(r.body == noise);
  }
}

TEST_CASE("a response the upstream encoded itself, or that forbids transformation, is passed on as it is") {
  CompressFixture f;
  std::string gz = "\x1f\x8b not really gzip, but labelled so by the origin " + json_of(1000);
  f.serve("/api/encoded", "application/json", gz, {{"Content-Encoding", "gzip"}});
  f.serve("/api/raw", "application/json", json_of(2000), {{"Cache-Control", "no-transform"}});
  HttpResponse e = f.etagd.get("/api/encoded", {{"Accept-Encoding", "br, gzip"}});
  CHECK(e.headers.get("Content-Encoding") == "gzip");
  CHECK(e.body == gz);
  HttpResponse raw = f.etagd.get("/api/raw", {{"Accept-Encoding", "br"}});
  CHECK_FALSE(raw.headers.contains("Content-Encoding"));
  CHECK(raw.body == json_of(2000));
}

TEST_CASE("an upstream that varies on Accept-Encoding itself keeps its own negotiation") {
  CompressFixture f;
  f.origin.route("/api/neg", [](const OriginRequest& req, OriginReply& reply) {
    // The origin answers differently per Accept-Encoding (identity here, but its own choice).
    std::string body = "{\"accept\":\"" + req.headers.get("Accept-Encoding") + "\"," +
                       std::string(1000, ' ') + "}";
    reply.reply(200, {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=60"},
                      {"Vary", "Accept-Encoding"}}, body);
  });
  HttpResponse br = f.etagd.get("/api/neg", {{"Accept-Encoding", "br"}});
  HttpResponse gz = f.etagd.get("/api/neg", {{"Accept-Encoding", "gzip"}});
  CHECK_FALSE(br.headers.contains("Content-Encoding"));
  CHECK(br.body.find("\"accept\":\"br\"") == 1);
  CHECK(gz.body.find("\"accept\":\"gzip\"") == 1);
  CHECK(f.origin.request_count("/api/neg") == 2);  // one entry per accepted set, as before
}

TEST_CASE("an upstream 304 refreshes every representation, which keep their ETags and bodies") {
  CompressFixture f;
  std::string content = json_of(3000);
  f.origin.route("/api/rev", [content](const OriginRequest& req, OriginReply& reply) {
    HeaderFields h = {{"Content-Type", "application/json"}, {"Cache-Control", "no-cache"},
                      {"ETag", "\"v1\""}};
    if (req.headers.get("If-None-Match") == "\"v1\"") {
      reply.reply(304, {{"ETag", "\"v1\""}, {"Cache-Control", "no-cache"}, {"Vary", "Origin"}});
      return;
    }
    reply.reply(200, h, content);
  });
  f.etagd.get("/api/rev");
  HttpResponse r = f.etagd.get("/api/rev", {{"Accept-Encoding", "br"}});
  CHECK(cache_status(r) == "REVALIDATED");
  CHECK(r.headers.get("ETag") == "\"v1-br\"");
  CHECK(r.headers.get("Content-Encoding") == "br");
  CHECK(varies_on_accept_encoding(r));  // kept although the 304's Vary replaced the stored one
  CHECK(etagd::test::decode_body("br", r.body) == content);
  CHECK(f.etagd.get("/api/rev", {{"Accept-Encoding", "br"}, {"If-None-Match", "\"v1-br\""}}).status == 304);
  CHECK(f.origin.request_count("/api/rev") == 3);
}

TEST_CASE("validate routes encode the one coding the client gets and answer 304 to its ETag") {
  ScriptedOrigin origin;
  std::string content = json_of(3000);
  origin.route("/api/v", [content](const OriginRequest&, OriginReply& reply) {
    reply.reply(200, {{"Content-Type", "application/json"}}, content);
  });
  CacheSetup s;
  s.defaults = kCompress;
  s.rules = {"{ match: { prefix: /api/ }, cache: validate }"};
  CachingEtagd etagd(origin, s);
  HttpResponse r = etagd.get("/api/v", {{"Accept-Encoding", "gzip;q=0.5, zstd"}});
  CHECK(r.headers.get("Content-Encoding") == "zstd");
  CHECK(etagd::test::decode_body("zstd", r.body) == content);
  std::string tag = r.headers.get("ETag");
  CHECK(tag.ends_with("-zstd\""));
  HttpResponse again = etagd.get("/api/v", {{"Accept-Encoding", "zstd"}, {"If-None-Match", tag}});
  CHECK(again.status == 304);
  CHECK(again.headers.get("ETag") == tag);
  HttpResponse ranged = etagd.get("/api/v", {{"Accept-Encoding", "zstd"}, {"Range", "bytes=0-9"}});
  CHECK_FALSE(ranged.headers.contains("Content-Encoding"));
  CHECK(origin.request_count("/api/v") == 3);
}

TEST_CASE("compress: off in a rule turns off what defaults turn on") {
  ScriptedOrigin origin;
  std::string content = json_of(3000);
  origin.route("/api/plain", [content](const OriginRequest&, OriginReply& reply) {
    reply.reply(200, {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=60"}}, content);
  });
  CacheSetup s;
  s.defaults = kCompress;
  s.rules = {"{ match: { prefix: /api/ }, compress: off }"};
  CachingEtagd etagd(origin, s);
  HttpResponse r = etagd.get("/api/plain", {{"Accept-Encoding", "br"}});
  CHECK_FALSE(r.headers.contains("Content-Encoding"));
  CHECK(r.body == content);
}

TEST_CASE("bypass routes encode a streamed body on the fly, chunk by chunk, to a stream that decodes to it") {
  ScriptedOrigin origin;
  std::vector<std::string> chunks;
  std::string whole;
  for (int i = 0; i < 6; ++i) {
    chunks.push_back(json_of(3000 + 100 * i));
    whole += chunks.back();
  }
  origin.route("/api/stream", [chunks](const OriginRequest&, OriginReply& reply) {
    reply.reply_chunked(200, {{"Content-Type", "application/json"}, {"ETag", "\"s1\""}}, chunks,
                        {}, std::chrono::milliseconds(20));
  });
  origin.route("/api/sized", [whole](const OriginRequest&, OriginReply& reply) {
    reply.reply(200, {{"Content-Type", "application/json"}}, whole);
  });
  CacheSetup s;
  s.defaults = kCompress;
  s.rules = {"{ match: { prefix: /api/ }, cache: bypass }"};
  CachingEtagd etagd(origin, s);
  for (std::string coding : {"br", "zstd", "gzip"}) {
    CAPTURE(coding);
    HttpResponse r = etagd.get("/api/stream", {{"Accept-Encoding", coding}});
    CHECK(r.status == 200);
    CHECK(cache_status(r) == "BYPASS");
    CHECK(r.headers.get("Content-Encoding") == coding);
    CHECK(r.headers.get("ETag") == "\"s1-" + coding + "\"");
    CHECK(varies_on_accept_encoding(r));
    CHECK(etagd::test::decode_body(coding, r.body) == whole);
    // A Content-Length from the upstream counts identity bytes: the encoded answer has none.
    HttpResponse sized = etagd.get("/api/sized", {{"Accept-Encoding", coding}});
    CHECK_FALSE(sized.headers.contains("Content-Length"));
    CHECK(etagd::test::decode_body(coding, sized.body) == whole);
  }
  HttpResponse plain = etagd.get("/api/stream");
  CHECK_FALSE(plain.headers.contains("Content-Encoding"));
  CHECK(plain.headers.get("ETag") == "\"s1\"");
  CHECK(varies_on_accept_encoding(plain));
  CHECK(plain.body == whole);
  // With Range the request and its answer pass as they are.
  HttpResponse ranged = etagd.get("/api/sized", {{"Accept-Encoding", "br"}, {"Range", "bytes=0-9"}});
  CHECK_FALSE(ranged.headers.contains("Content-Encoding"));
  CHECK(ranged.body == whole);  // this origin ignores Range: the whole identity body
}


TEST_CASE("bypass routes revalidate an encoded representation: the upstream sees its own ETag and the 304 names the client's") {
  // The client only ever saw "s1-br"; the upstream only knows "s1". RFC 9110 §15.4.5: the 304
  // carries the ETag and Vary the 200 would have carried.
  ScriptedOrigin origin;
  std::string content = json_of(3000);
  origin.route("/api/doc", [content](const OriginRequest& req, OriginReply& reply) {
    std::string inm = req.headers.get("If-None-Match");
    std::string im = req.headers.get("If-Match");
    if (!inm.empty() && inm.find("\"s1\"") != std::string::npos) {
      reply.reply(304, {{"ETag", "\"s1\""}}, "");
    } else if (!im.empty() && im.find("\"s1\"") == std::string::npos) {
      reply.reply(412, {}, "");
    } else {
      reply.reply(200, {{"Content-Type", "application/json"}, {"ETag", "\"s1\""}}, content);
    }
  });
  CacheSetup s;
  s.defaults = kCompress;
  s.rules = {"{ match: { prefix: /api/ }, cache: bypass }"};
  CachingEtagd etagd(origin, s);
  HttpResponse first = etagd.get("/api/doc", {{"Accept-Encoding", "br"}});
  REQUIRE(first.headers.get("ETag") == "\"s1-br\"");
  HttpResponse again =
      etagd.get("/api/doc", {{"Accept-Encoding", "br"}, {"If-None-Match", "\"s1-br\""}});
  CHECK(again.status == 304);
  CHECK(again.headers.get("ETag") == "\"s1-br\"");
  CHECK(varies_on_accept_encoding(again));
  // A client holding the identity bytes keeps the identity tag.
  HttpResponse identity = etagd.get("/api/doc", {{"If-None-Match", "\"s1\""}});
  CHECK(identity.status == 304);
  CHECK(identity.headers.get("ETag") == "\"s1\"");
  // If-Match with the encoded tag guards a write against the state the client saw.
  HttpResponse put = etagd.request("PUT", "/api/doc", {{"If-Match", "\"s1-gzip\""}}, "{}");
  CHECK(put.status == 200);
  HttpResponse stale = etagd.request("PUT", "/api/doc", {{"If-Match", "\"s0-gzip\""}}, "{}");
  CHECK(stale.status == 412);
}

}  // namespace etagd::testing
