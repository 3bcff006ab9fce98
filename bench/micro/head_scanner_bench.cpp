// Head scanning (http/head_scanner.h): the byte-level check every request and upstream response
// head passes before llhttp sees it. A typical browser-ish API request (~520 bytes, 11 fields)
// and a typical upstream response head, scanned when the whole head arrived in one read, and
// when it arrived in three reads (the resumable path).
#include <benchmark/benchmark.h>

#include <string_view>

#include "http/head_scanner.h"

namespace {

using etagd::http::HeadKind;
using etagd::http::HeadLimits;
using etagd::http::HeadScan;
using etagd::http::HeadScanner;

constexpr std::string_view kRequest =
    "GET /api/items/42?fields=name,price&expand=owner HTTP/1.1\r\n"
    "Host: api.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: application/json, text/plain, */*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl\r\n"
    "If-None-Match: \"Pwe0hKFCLBPODJMDmK9m1Q\"\r\n"
    "Referer: https://app.example.com/items\r\n"
    "Connection: keep-alive\r\n"
    "Sec-Fetch-Mode: cors\r\n"
    "X-Request-Id: 5f1c7a2e-8d3b-4c6a-9e0f-1b2c3d4e5f60\r\n"
    "\r\n";

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Content-Length: 2048\r\n"
    "Date: Wed, 25 Nov 2026 09:51:43 GMT\r\n"
    "Server: legacy-api/1.4\r\n"
    "X-Powered-By: PHP/7.4.33\r\n"
    "Vary: Accept-Encoding\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

void scan_whole(benchmark::State& state, HeadKind kind, std::string_view head) {
  HeadScanner scanner(kind, HeadLimits{});
  for (auto _ : state) {
    scanner.reset();
    HeadScan r = scanner.scan(head);
    benchmark::DoNotOptimize(r);
  }
  scanner.reset();
  if (scanner.scan(head).status != HeadScan::Status::Complete) state.SkipWithError("not clean");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(head.size()));
}

void BM_HeadScanRequest(benchmark::State& state) {
  scan_whole(state, HeadKind::Request, kRequest);
}
void BM_HeadScanResponse(benchmark::State& state) {
  scan_whole(state, HeadKind::Response, kResponse);
}

void BM_HeadScanRequestInThreeReads(benchmark::State& state) {
  HeadScanner scanner(HeadKind::Request, HeadLimits{});
  const size_t a = kRequest.size() / 3;
  const size_t b = 2 * kRequest.size() / 3;
  HeadScan r;
  for (auto _ : state) {
    scanner.reset();
    r = scanner.scan(kRequest.substr(0, a));
    benchmark::DoNotOptimize(r);
    r = scanner.scan(kRequest.substr(0, b));
    benchmark::DoNotOptimize(r);
    r = scanner.scan(kRequest);
    benchmark::DoNotOptimize(r);
  }
  if (r.status != HeadScan::Status::Complete) state.SkipWithError("not clean");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kRequest.size()));
}

BENCHMARK(BM_HeadScanRequest);
BENCHMARK(BM_HeadScanResponse);
BENCHMARK(BM_HeadScanRequestInThreeReads);

}  // namespace
