// What etagd's own encoded representations look like: which responses may be encoded, their
// ETags (one strong validator per representation, RFC 9110 §8.8.3) and their fields.
#include "proxy/representation_encoding.h"

#include <doctest/doctest.h>

#include "support/content_decoding.h"

namespace etagd::proxy {
namespace {

using http::ContentCoding;

config::CompressPolicy on() {
  config::CompressPolicy p;
  p.enabled = true;
  return p;
}

http::ResponseHead head_with(std::initializer_list<std::pair<const char*, const char*>> fields,
                             int status = 200) {
  http::ResponseHead h;
  h.status = status;
  for (auto [n, v] : fields) h.headers.add(n, v);
  return h;
}

}  // namespace

TEST_CASE("representation ETags append the coding inside the quotes, weak stays weak") {
  CHECK(representation_etag("\"abc\"", ContentCoding::Br) == "\"abc-br\"");
  CHECK(representation_etag("\"abc\"", ContentCoding::Zstd) == "\"abc-zstd\"");
  CHECK(representation_etag("\"abc\"", ContentCoding::Gzip) == "\"abc-gzip\"");
  CHECK(representation_etag("W/\"abc\"", ContentCoding::Gzip) == "W/\"abc-gzip\"");
  CHECK(representation_etag("\"\"", ContentCoding::Br) == "\"-br\"");
  CHECK(representation_etag("", ContentCoding::Br) == "");
  CHECK(representation_etag("abc", ContentCoding::Br) == "");
  CHECK(representation_etag("W/abc\"", ContentCoding::Br) == "");
}

TEST_CASE("only 200s of listed types, large enough, not encoded or negotiated upstream, may be encoded") {
  http::CacheControl cc;
  auto json = head_with({{"Content-Type", "application/json"}});
  CHECK(may_encode(on(), json, cc, 512));
  CHECK_FALSE(may_encode(on(), json, cc, 511));
  CHECK_FALSE(may_encode(config::CompressPolicy{}, json, cc, 4096));  // off
  CHECK_FALSE(may_encode(on(), head_with({{"Content-Type", "application/json"}}, 404), cc, 4096));
  CHECK_FALSE(may_encode(on(), head_with({{"Content-Type", "image/png"}}), cc, 4096));
  CHECK_FALSE(may_encode(on(), head_with({}), cc, 4096));  // no type: unknown content
  CHECK_FALSE(may_encode(on(), head_with({{"Content-Type", "application/json"},
                                          {"Content-Encoding", "gzip"}}), cc, 4096));
  CHECK_FALSE(may_encode(on(), head_with({{"Content-Type", "application/json"},
                                          {"Vary", "Origin, accept-encoding"}}), cc, 4096));
  CHECK(may_encode(on(), head_with({{"Content-Type", "application/json"}, {"Vary", "Origin"}}),
                   cc, 4096));
  http::CacheControl no_transform;
  no_transform.no_transform = true;
  CHECK_FALSE(may_encode(on(), json, no_transform, 4096));
}

TEST_CASE("Vary: Accept-Encoding goes first, once") {
  CHECK(with_vary_accept_encoding("ETag: \"a\"\r\nVia: 1.1 etagd\r\n") ==
        "Vary: Accept-Encoding\r\nETag: \"a\"\r\nVia: 1.1 etagd\r\n");
  std::string already = "Vary: Origin, Accept-Encoding\r\nETag: \"a\"\r\n";
  CHECK(with_vary_accept_encoding(already) == already);
}

TEST_CASE("a representation's fields are the identity fields with its ETag and Content-Encoding") {
  std::string identity = "Vary: Accept-Encoding\r\nETag: \"a\"\r\nContent-Type: text/plain\r\n";
  CHECK(representation_fields(identity, "\"a-br\"", ContentCoding::Br) ==
        "Vary: Accept-Encoding\r\nETag: \"a-br\"\r\nContent-Type: text/plain\r\nContent-Encoding: br\r\n");
  CHECK(representation_fields(identity, "", ContentCoding::Gzip) ==
        "Vary: Accept-Encoding\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n");
}

TEST_CASE("the upstream also sees the identity form of every encoded tag in a validator list") {
  std::vector<ContentCoding> codings = {ContentCoding::Br, ContentCoding::Gzip};
  CHECK(with_identity_etags("\"a-br\"", codings) == "\"a-br\", \"a\"");
  CHECK(with_identity_etags("W/\"a-gzip\", \"b\"", codings) == "W/\"a-gzip\", \"b\", W/\"a\"");
  // Nothing to add: the field passes as it came.
  CHECK(with_identity_etags("\"a\", *", codings) == "");
  // Only the route's codings count, and a bare suffix is not a coded tag.
  CHECK(with_identity_etags("\"a-zstd\"", codings) == "");
  CHECK(with_identity_etags("\"-br\"", codings) == "");
}

TEST_CASE("a relayed 304 names the representation the client holds, the chosen one first") {
  std::vector<ContentCoding> codings = {ContentCoding::Br, ContentCoding::Gzip};
  CHECK(client_etag_for_upstream_304("\"a-br\"", "\"a\"", codings, ContentCoding::Br) == "\"a-br\"");
  CHECK(client_etag_for_upstream_304("\"a-gzip\", \"a-br\"", "\"a\"", codings, ContentCoding::Br) ==
        "\"a-br\"");
  CHECK(client_etag_for_upstream_304("\"a-gzip\"", "\"a\"", codings, ContentCoding::Br) == "\"a-gzip\"");
  // The identity tag, another resource's tag, or an upstream ETag that is not one: unchanged.
  CHECK(client_etag_for_upstream_304("\"a\"", "\"a\"", codings, ContentCoding::Br) == "");
  CHECK(client_etag_for_upstream_304("\"b-br\"", "\"a\"", codings, ContentCoding::Br) == "");
  CHECK(client_etag_for_upstream_304("\"a-br\"", "a", codings, ContentCoding::Br) == "");
}

TEST_CASE("replace_etag_field changes the ETag line only") {
  CHECK(replace_etag_field("Vary: Accept-Encoding\r\nETag: \"a\"\r\nContent-Encoding: br\r\n", "\"a-br\"") ==
        "Vary: Accept-Encoding\r\nETag: \"a-br\"\r\nContent-Encoding: br\r\n");
}

TEST_CASE("encoded representations decode to the body and only those that shrink it are kept") {
  std::string body;
  for (int i = 0; body.size() < 3000; ++i) body += "{\"n\":" + std::to_string(i % 10) + "},";
  auto reps = encode_representations(on(), on().encodings, "ETag: \"t\"\r\n", "\"t\"", body);
  REQUIRE(reps.size() == 3);
  for (const cache::EncodedRepresentation& r : reps) {
    std::string name(http::coding_name(r.coding));
    CAPTURE(name);
    CHECK(r.etag == "\"t-" + name + "\"");
    CHECK(r.header_block == "ETag: " + r.etag + "\r\nContent-Encoding: " + name + "\r\n");
    CHECK(test::decode_body(name, r.body) == body);
  }
  // Eight bytes: every coding's framing makes it larger.
  CHECK(encode_representations(on(), on().encodings, "", "\"t\"", "12345678").empty());
}

}  // namespace etagd::proxy
