// The HTTP/1.1 form of an answer: status line, Date, fields, Age, the cache-status field,
// framing and Connection; chunks; etagd's own short answers.
#include "proxy/http1_writer.h"

#include <doctest/doctest.h>

#include "base/event_handles.h"

using etagd::http::BodyFraming;
using etagd::proxy::Http1Head;
using etagd::proxy::append_http1_head;
using etagd::proxy::write_chunk;
using etagd::proxy::write_http1_error;
using etagd::proxy::write_last_chunk;

namespace {

std::string text(evbuffer* b) {
  std::string s(evbuffer_get_length(b), '\0');
  evbuffer_copyout(b, s.data(), s.size());
  return s;
}

Http1Head base_head() {
  Http1Head h;
  h.date = "Mon, 01 Jan 2024 00:00:00 GMT";
  return h;
}

}  // namespace

TEST_CASE("a head carries status, Date, fields, Age, cache status and its framing, in order") {
  Http1Head h = base_head();
  h.fields = "ETag: \"v1\"\r\n";
  h.age = 7;
  h.status_header = "X-Cache";
  h.cache_status = "HIT";
  h.content_length = 5;
  std::string out;
  append_http1_head(out, h);
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nETag: \"v1\"\r\nAge: 7\r\n"
        "X-Cache: HIT\r\nContent-Length: 5\r\n\r\n");
}

TEST_CASE("HTTP/1.0 clients are told keep-alive explicitly, a closing answer says close") {
  Http1Head h = base_head();
  h.version_minor = 0;
  h.framing = BodyFraming::None;
  std::string keep;
  append_http1_head(keep, h);
  CHECK(keep.find("Connection: keep-alive\r\n") != std::string::npos);
  h.close = true;
  std::string closing;
  append_http1_head(closing, h);
  CHECK(closing.find("Connection: close\r\n") != std::string::npos);
  CHECK(closing.find("keep-alive") == std::string::npos);
}

TEST_CASE("chunked framing: sized chunks, no empty chunk, a last chunk to end") {
  Http1Head h = base_head();
  h.framing = BodyFraming::Chunked;
  std::string head;
  append_http1_head(head, h);
  CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  etagd::base::EvbufferPtr b = etagd::base::make_evbuffer();
  write_chunk(b.get(), "hello world, this is chunked", 28);
  write_chunk(b.get(), "", 0);  // would end the body: never written
  write_last_chunk(b.get());
  CHECK(text(b.get()) == "1c\r\nhello world, this is chunked\r\n0\r\n\r\n");
}

TEST_CASE("etagd's own answer is a one-line text/plain reason with its length, no body for HEAD") {
  etagd::base::EvbufferPtr b = etagd::base::make_evbuffer();
  write_http1_error(b.get(), 502, "upstream connection failed", base_head(), false);
  std::string s = text(b.get());
  CHECK(s.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0) == 0);
  CHECK(s.find("Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n") !=
        std::string::npos);
  CHECK(s.find("Content-Length: 44\r\n") != std::string::npos);
  CHECK(s.substr(s.size() - 44) == "502 Bad Gateway: upstream connection failed\n");
  etagd::base::EvbufferPtr h = etagd::base::make_evbuffer();
  write_http1_error(h.get(), 502, "upstream connection failed", base_head(), true);
  std::string head_only = text(h.get());
  CHECK(head_only.substr(head_only.size() - 4) == "\r\n\r\n");
}
