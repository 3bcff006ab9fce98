// What real requests last met at a server, as /healthz reports it: the failure stays until a
// request there is answered.
#include "proxy/server_health.h"

#include <doctest/doctest.h>

namespace etagd::proxy {

TEST_CASE("a failed request is remembered with its kind until a request to the server is "
          "answered") {
  config::UpstreamServerConfig c;
  c.url = "http://a:9000";
  UpstreamServer s(c, net::SocketAddress{});
  CHECK(s.failed_at_ms.load() == 0);
  record_request_answered(s);
  CHECK(s.failed_at_ms.load() == 0);

  record_request_failed(s, ops::UpstreamError::ConnectFailed, 5'000);
  CHECK(s.failed_at_ms.load() == 5'000);
  CHECK(s.failure.load() == static_cast<uint8_t>(ops::UpstreamError::ConnectFailed));
  record_request_failed(s, ops::UpstreamError::ReadTimeout, 6'000);
  CHECK(s.failed_at_ms.load() == 6'000);
  CHECK(s.failure.load() == static_cast<uint8_t>(ops::UpstreamError::ReadTimeout));

  record_request_answered(s);
  CHECK(s.failed_at_ms.load() == 0);
  // At the clock's start a failure is still one: 0 would read as "answered since".
  record_request_failed(s, ops::UpstreamError::ConnectFailed, 0);
  CHECK(s.failed_at_ms.load() != 0);
}

}  // namespace etagd::proxy
