// HTTP/2 flow control (RFC 9113 §5.2) reaches back to the upstream read: a stream whose
// window stays shut holds at most etagd's watermark and stalls the origin instead of
// buffering its body; a window that opens and closes still delivers every byte in order.
// And the connection's lifecycle: a reload sends GOAWAY after the stream it is serving.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "http2_harness.h"
#include "support/eventually.h"
#include "support/origin_scripts.h"
#include "support/proxy_harness.h"

namespace etagd::testing {
namespace {

TEST_CASE("back-pressure: an HTTP/2 stream whose window stays shut stalls the origin, etagd stays small") {
  constexpr size_t kSlice = 1024 * 1024;
  constexpr size_t kSlices = 64;
  const std::string slice = binary_body(kSlice);
  std::atomic<size_t> sent{0};
  ScriptedOrigin origin;
  origin.route("/huge", [&](const OriginRequest&, OriginReply& r) {
    r.write_head(200, {{"Content-Length", std::to_string(kSlice * kSlices)}});
    for (size_t i = 0; i < kSlices && !r.broken(); ++i) {
      r.write_raw(slice);
      sent += kSlice;
    }
  });
  // Streamed, not buffered for the cache; a paused upstream read is not a slow upstream.
  Http2Etagd etagd(origin, {.timeouts = "client_send: 3s, upstream_read: 500ms",
                            .defaults = "cache: bypass"});
  long rss_before = resident_kib(etagd.process().pid());
  REQUIRE(rss_before > 0);

  std::string out;
  std::thread client([&] { out = h2_probe(etagd.port(), "zero-window", "/huge"); });
  size_t last = 0;
  int stable_polls = 0;
  for (int i = 0; i < 30 && stable_polls < 8; ++i) {
    std::this_thread::sleep_for(100ms);
    size_t now = sent.load();
    stable_polls = (now == last && now > 0) ? stable_polls + 1 : 0;
    last = now;
  }
  size_t stalled_at = sent.load();
  long rss_stalled = resident_kib(etagd.process().pid());
  client.join();
  INFO(out);
  MESSAGE("origin stalled after ", stalled_at / kSlice, " MiB; etagd RSS ", rss_before, " -> ",
          rss_stalled, " KiB");
  CHECK(stable_polls >= 8);
  CHECK(stalled_at < kSlice * kSlices);
  CHECK(rss_stalled - rss_before < 32 * 1024);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);  // after client_send without progress
}

TEST_CASE("a streamed body larger than every window reaches an HTTP/2 client whole and in order") {
  constexpr size_t kSize = 16 * 1024 * 1024;
  const std::string body = binary_body(kSize);
  ScriptedOrigin origin;
  origin.route("/stream", script::respond_chunked(200, {}, {body.substr(0, kSize / 2),
                                                            body.substr(kSize / 2)}));
  Http2Etagd etagd(origin, {.defaults = "cache: bypass"});
  CurlAnswer a = curl_h2(etagd.port(), "/stream");
  CHECK(a.status == 200);
  CHECK_FALSE(a.headers.contains("content-length"));  // chunked upstream: DATA until END_STREAM
  REQUIRE(a.body.size() == kSize);
  CHECK(a.body == body);
}

TEST_CASE("after a reload an HTTP/2 connection serves its next stream and then says GOAWAY") {
  ScriptedOrigin origin;
  Http2Etagd etagd(origin);
  std::thread reloader([&] {
    if (!origin.wait_for_requests("/first", 1, 5000ms)) return;
    etagd.process().signal(SIGHUP);
    etagd.process().wait_for_log("configuration reloaded", 3000ms);
  });
  std::string out = h2_probe(etagd.port(), "two-gets", "1500");
  reloader.join();
  INFO(out);
  CHECK(etagd.log().find("configuration reloaded") != std::string::npos);
  CHECK(out.find("stream 1 status 200") != std::string::npos);
  CHECK(out.find("stream 3 status 200") != std::string::npos);
  CHECK(out.find("goaway 0") != std::string::npos);
  CHECK(out.find("closed") != std::string::npos);
  CHECK(origin.request_count("/second") == 1);
}

}  // namespace
}  // namespace etagd::testing
