#include "http/accept_encoding.h"

#include <doctest/doctest.h>

#include <array>
#include <string>

using etagd::http::AcceptEncoding;
using etagd::http::coding_name;
using etagd::http::ContentCoding;
using etagd::http::HeaderList;

namespace {

constexpr std::array<ContentCoding, 3> kOffered = {ContentCoding::Br, ContentCoding::Zstd,
                                                   ContentCoding::Gzip};

std::string chosen(std::string_view value) {
  return std::string(coding_name(AcceptEncoding::parse(value).choose(kOffered)));
}

}  // namespace

TEST_CASE("the coding chosen for an Accept-Encoding value, with br, zstd, gzip offered") {
  struct Row {
    const char* accept_encoding;
    const char* answer;
  };
  const Row rows[] = {
      {"gzip", "gzip"},
      {"gzip, deflate, br", "br"},         // equal weights: the server's order decides
      {"br, gzip", "br"},
      {"gzip, br;q=0.5", "gzip"},          // a higher weight beats the server's order
      {"gzip;q=0.4, zstd;q=0.6, br;q=0.5", "zstd"},
      {"GZIP", "gzip"},                    // codings compare case-insensitively
      {"x-gzip", "gzip"},                  // RFC 9110 §8.4.1.3
      {"deflate", "identity"},             // nothing offered is acceptable
      {"", "identity"},                    // an empty value asks for no coding
      {"identity", "identity"},
      {"*", "br"},                         // every coding
      {"*;q=0.5, gzip", "gzip"},           // a named coding outweighs the wildcard
      {"br;q=0, *", "zstd"},               // the wildcard does not revive a refused coding
      {"gzip;q=0", "identity"},
      {"gzip;q=0.001", "gzip"},            // any weight above 0 beats unnamed identity
      {"gzip;q=0.5, identity", "identity"},  // identity named at q=1 outweighs gzip
      {"gzip, identity;q=0", "gzip"},
      {"identity;q=0", "identity"},        // nothing acceptable: identity all the same
      {"gzip;q=1.5", "identity"},          // a malformed weight drops the member
      {"gzip;q=0.1234", "identity"},       // more than three decimals
      {"gzip;q=", "identity"},
      {"gzip ; q=0.8 , br ; q=0.9", "br"}, // OWS around parameters
      {"gzip;level=9", "gzip"},            // unknown parameters are ignored
      {"compress, gzip", "gzip"},          // unknown codings are ignored
      {",, gzip ,", "gzip"},               // empty list members
  };
  for (const Row& row : rows) {
    CAPTURE(row.accept_encoding);
    CHECK(chosen(row.accept_encoding) == row.answer);
  }
}

TEST_CASE("a request without Accept-Encoding gets identity") {
  HeaderList h;
  CHECK(AcceptEncoding::from_request(h).choose(kOffered) == ContentCoding::Identity);
  CHECK(AcceptEncoding::from_request(h).acceptable(ContentCoding::Identity));
  CHECK(!AcceptEncoding::from_request(h).acceptable(ContentCoding::Gzip));
}

TEST_CASE("several Accept-Encoding lines form one list") {
  HeaderList h;
  h.add("Accept-Encoding", "gzip;q=0.5");
  h.add("accept-encoding", "br;q=0.7");
  CHECK(AcceptEncoding::from_request(h).choose(kOffered) == ContentCoding::Br);
}

TEST_CASE("weights are read in thousandths") {
  AcceptEncoding a = AcceptEncoding::parse("gzip;q=0.5, br;q=1.000, zstd;q=0, deflate;q=0.25");
  CHECK(a.weight(ContentCoding::Gzip) == 500);
  CHECK(a.weight(ContentCoding::Br) == 1000);
  CHECK(a.weight(ContentCoding::Zstd) == 0);
  CHECK(a.weight(ContentCoding::Deflate) == 250);
}

TEST_CASE("only the server's offer is chosen from") {
  constexpr std::array<ContentCoding, 1> gzip_only = {ContentCoding::Gzip};
  CHECK(AcceptEncoding::parse("br, gzip;q=0.1").choose(gzip_only) == ContentCoding::Gzip);
  CHECK(AcceptEncoding::parse("br").choose(gzip_only) == ContentCoding::Identity);
  CHECK(AcceptEncoding::parse("br").choose({}) == ContentCoding::Identity);
}

TEST_CASE("the variant key is what is acceptable, not how the field was written") {
  auto key = [](std::string_view v) { return AcceptEncoding::parse(v).variant_key(); };
  CHECK(key("gzip, deflate, br") == "br,deflate,gzip,identity");
  CHECK(key("br, deflate, gzip") == key("gzip, deflate, br"));
  CHECK(key("br;q=0.2, gzip") == "br,gzip,identity");
  CHECK(key("br, gzip") == key("gzip;q=0.5, br"));   // same codings acceptable
  CHECK(key("br, gzip") != key("br"));               // one accepts gzip, the other not
  CHECK(key("gzip, identity;q=0") == "gzip");
  CHECK(key("") == "identity");
  CHECK(key("*") == "br,deflate,gzip,zstd,identity");
  HeaderList none;
  CHECK(etagd::http::accept_encoding_variant_key(none) == "identity");
}
