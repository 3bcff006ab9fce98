// etagd-demo-origin: the legacy JSON API a new user puts etagd in front of.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>

#include "demo_origin_process.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace etagd::testing {
namespace {

using namespace std::chrono_literals;

size_t count_items(const std::string& list) {
  size_t n = 0;
  for (size_t pos = 0; (pos = list.find("{\"id\":", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

}  // namespace

TEST_CASE("the demo origin starts with 20 items and lists them as a JSON array") {
  DemoOriginProcess demo;
  HttpResponse r = http_get(demo.port(), "/api/items");
  CHECK(r.status == 200);
  CHECK(r.headers.get("Content-Type") == "application/json");
  CHECK(r.body.front() == '[');
  CHECK(r.body.back() == ']');
  CHECK(count_items(r.body) == 20);
}

TEST_CASE("the demo origin sends no validators and no Cache-Control") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  for (const char* target : {"/api/items", "/api/items/1", "/api/blob?size=64", "/health"}) {
    CAPTURE(target);
    HttpResponse r = client.get(target);
    CHECK(r.status == 200);
    CHECK_FALSE(r.headers.contains("ETag"));
    CHECK_FALSE(r.headers.contains("Last-Modified"));
    CHECK_FALSE(r.headers.contains("Cache-Control"));
    CHECK_FALSE(r.headers.contains("Expires"));
  }
}

TEST_CASE("GET of one item returns it, and an unknown id is 404") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  HttpResponse r = client.get("/api/items/3");
  CHECK(r.status == 200);
  CHECK(r.body.rfind("{\"id\":3,\"name\":\"Item 3\"", 0) == 0);
  CHECK(client.get("/api/items/999").status == 404);
  CHECK(client.get("/api/items/abc").status == 404);
  CHECK(client.get("/nowhere").status == 404);
}

TEST_CASE("POST creates an item: 201 with its Location, and GET finds it") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  HttpResponse created =
      client.request("POST", "/api/items", {{"Content-Type", "application/json"}},
                     R"({"name": "widget", "id": 500, "tags": ["a", "}"]})");
  CHECK(created.status == 201);
  CHECK(created.headers.get("Location") == "/api/items/21");
  CHECK(created.body == R"({"id":21,"name":"widget","tags":["a", "}"]})");
  CHECK(client.get("/api/items/21").body == created.body);
  CHECK(count_items(client.get("/api/items").body) == 21);
}

TEST_CASE("PUT replaces an item's fields, PATCH merges into them") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  HttpResponse put = client.request("PUT", "/api/items/2", {}, R"({"name":"renamed"})");
  CHECK(put.status == 200);
  CHECK(put.body == R"({"id":2,"name":"renamed"})");
  HttpResponse patch =
      client.request("PATCH", "/api/items/2", {}, R"({"price_cents":7,"name":"again"})");
  CHECK(patch.status == 200);
  CHECK(patch.body == R"({"id":2,"name":"again","price_cents":7})");
  CHECK(client.get("/api/items/2").body == patch.body);
  CHECK(client.request("PUT", "/api/items/999", {}, "{}").status == 404);
}

TEST_CASE("DELETE answers 204 and the item is gone") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  HttpResponse del = client.request("DELETE", "/api/items/5");
  CHECK(del.status == 204);
  CHECK(del.body.empty());
  CHECK(client.get("/api/items/5").status == 404);
  CHECK(client.request("DELETE", "/api/items/5").status == 404);
  CHECK(count_items(client.get("/api/items").body) == 19);
}

TEST_CASE("a body that is not a JSON object is refused with 400") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  for (const char* bad : {"", "nope", "[1,2]", R"({"a":})", R"({"a":1} trailing)",
                          R"({"a":"unterminated})", R"({"a":[1,2})"}) {
    CAPTURE(bad);
    CHECK(client.request("POST", "/api/items", {}, bad).status == 400);
  }
  CHECK(count_items(client.get("/api/items").body) == 20);
}

TEST_CASE("a method a route does not support is 405 with Allow") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  HttpResponse r = client.request("DELETE", "/api/items");
  CHECK(r.status == 405);
  CHECK(r.headers.get("Allow") == "GET, HEAD, POST");
  CHECK(client.request("POST", "/health", {}, "{}").status == 405);
}

TEST_CASE("HEAD answers like GET, with the GET body's length and no body") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  for (const char* target : {"/api/items/1", "/api/items", "/api/blob?size=4096"}) {
    CAPTURE(target);
    HttpResponse head = client.request("HEAD", target);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    HttpResponse get = client.get(target);  // the connection is still in sync
    CHECK(get.status == 200);
    CHECK(head.headers.get("Content-Length") == std::to_string(get.body.size()));
  }
}

TEST_CASE("blobs have exactly the requested size and the same bytes every time") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  for (size_t size : {0u, 5u, 11u, 2048u, 65536u}) {
    CAPTURE(size);
    std::string target = "/api/blob?size=" + std::to_string(size);
    HttpResponse first = client.get(target);
    CHECK(first.status == 200);
    CHECK(first.body.size() == size);
    CHECK(client.get(target).body == first.body);
  }
  std::string small = client.get("/api/blob?size=2048").body;
  CHECK(small.rfind("{\"data\":\"", 0) == 0);
  CHECK(small.substr(small.size() - 2) == "\"}");
  CHECK(client.get("/api/blob?size=huge").status == 400);
  CHECK(client.get("/api/blob?size=999999999").status == 400);
}

TEST_CASE("/api/slow answers after the requested delay") {
  DemoOriginProcess demo;
  HttpClient client(demo.port());
  auto start = Clock::now();
  HttpResponse r = client.get("/api/slow?ms=250");
  auto took = Clock::now() - start;
  CHECK(r.status == 200);
  CHECK(r.body == R"({"slept_ms":250})");
  CHECK(took >= 240ms);
  CHECK(took < 3000ms);
}

TEST_CASE("a client leaving during /api/slow does not disturb the demo origin") {
  DemoOriginProcess demo;
  {
    HttpClient leaver(demo.port());
    leaver.send_request("GET", "/api/slow?ms=200");
  }
  std::this_thread::sleep_for(300ms);  // the timer fires for a request whose client is gone
  CHECK(demo.process().running());
  CHECK(http_get(demo.port(), "/health").body == R"({"status":"ok"})");
}

TEST_CASE("the demo origin logs requests and exits 0 on SIGTERM and SIGINT") {
  for (int sig : {SIGTERM, SIGINT}) {
    CAPTURE(sig);
    TempDir dir;
    DemoOriginProcess demo(dir.file("out.log").string());
    CHECK(http_get(demo.port(), "/health").status == 200);
    demo.process().signal(sig);
    auto e = demo.process().wait(3000ms);
    REQUIRE(e);
    CHECK(e->success());
    std::string log = dir.read("out.log");
    CHECK(log.find("listening on http://127.0.0.1:" + std::to_string(demo.port())) !=
          std::string::npos);
    CHECK(log.find("GET /health 200") != std::string::npos);
  }
}

TEST_CASE("the demo origin rejects bad arguments") {
  ProcessResult r = run_process({kDemoOriginPath, "--listen", "nonsense"});
  CHECK(r.exit.code == 2);
  CHECK(r.output.find("--listen") != std::string::npos);
  CHECK(run_process({kDemoOriginPath, "--bogus"}).exit.code == 2);
  ProcessResult help = run_process({kDemoOriginPath, "--help"});
  CHECK(help.exit.success());
  CHECK(help.output.find("usage: etagd-demo-origin") != std::string::npos);
}

}  // namespace etagd::testing
