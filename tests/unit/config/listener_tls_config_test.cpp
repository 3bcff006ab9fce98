// `tls:` on a listener as the loader reads it; certificate files that exist only at test time
// are checked by the integration tests (tests/integration/tls).
#include <doctest/doctest.h>

#include "unit/config/load_helpers.h"

namespace etagd::config {
namespace {

using test::load;
using test::must_load;
using test::printed;
using test::reports;

TEST_CASE("TLSv1.1 and TLSv1.0 in protocols are refused at their line, citing RFC 8996") {
  LoadResult r = load(
      "listen:\n"
      "  - address: 127.0.0.1:8443\n"
      "    tls:\n"
      "      certificates: [{ cert: /nonexistent/a.pem, key: /nonexistent/a.key }]\n"
      "      protocols: [TLSv1.1, TLSv1.0, TLSv1.3]\n"
      "upstream: http://a\n");
  INFO(printed(r));
  CHECK_FALSE(r.ok());
  CHECK(reports(r, "test.yaml:5:19: error: listen[0].tls.protocols[0]: TLSv1.1 is refused: TLS "
                   "1.0 and 1.1 are deprecated (RFC 8996)"));
  CHECK(reports(r, "test.yaml:5:28: error: listen[0].tls.protocols[1]: TLSv1.0 is refused"));
}

TEST_CASE("a TLS listener needs certificates, each with a cert and a key") {
  LoadResult none = load("listen: [{ address: 127.0.0.1:8443, tls: { protocols: [TLSv1.3] } }]\n"
                         "upstream: http://a\n");
  INFO(printed(none));
  CHECK(reports(none, "error: listen[0].tls: a TLS listener needs certificates"));
  LoadResult half = load(
      "listen: [{ address: 127.0.0.1:8443, tls: { certificates: [{ cert: /etc/a.pem }] } }]\n"
      "upstream: http://a\n");
  INFO(printed(half));
  CHECK(reports(half, "error: listen[0].tls.certificates[0]: a certificate needs both cert and "
                      "key"));
}

TEST_CASE("a certificate file that cannot be read is an error naming the file") {
  LoadResult r = load(
      "listen: [{ address: 127.0.0.1:8443, tls: { certificates: "
      "[{ cert: /nonexistent/a.pem, key: /nonexistent/a.key }] } }]\n"
      "upstream: http://a\n");
  INFO(printed(r));
  CHECK(reports(r, "error: listen[0].tls.certificates[0].cert: cannot read '/nonexistent/a.pem'"));
}

TEST_CASE("tls: off is a plain listener") {
  auto c = must_load("listen: [{ address: 127.0.0.1:8080, tls: off }]\nupstream: http://a\n");
  CHECK_FALSE(c->listen[0].tls.enabled());
}

}  // namespace
}  // namespace etagd::config
