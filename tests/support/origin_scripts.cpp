#include "support/origin_scripts.h"

#include <algorithm>
#include <utility>

namespace etagd::testing::script {
namespace {

constexpr milliseconds kNeverAnswerLimit{120000};

HeaderFields with_length(HeaderFields headers, size_t length) {
  headers.set("Content-Length", std::to_string(length));
  return headers;
}

}  // namespace

OriginHandler respond(int status, HeaderFields headers, std::string body) {
  return [=](const OriginRequest&, OriginReply& r) { r.reply(status, headers, body); };
}

OriginHandler respond_json(std::string json, int status) {
  return respond(status, {{"Content-Type", "application/json"}}, std::move(json));
}

OriginHandler respond_chunked(int status, HeaderFields headers, std::vector<std::string> chunks,
                              milliseconds pause_between_chunks) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.reply_chunked(status, headers, chunks, {}, pause_between_chunks);
  };
}

OriginHandler delayed(milliseconds delay, OriginHandler then) {
  return [=](const OriginRequest& req, OriginReply& r) {
    if (r.sleep(delay)) then(req, r);
  };
}

OriginHandler close_mid_body(int status, std::string body, size_t bytes_sent) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.write_head(status, with_length({}, body.size()));
    r.write_raw(std::string_view(body).substr(0, std::min(bytes_sent, body.size())));
    r.close();
  };
}

OriginHandler reset_mid_body(int status, std::string body, size_t bytes_sent) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.write_head(status, with_length({}, body.size()));
    r.write_raw(std::string_view(body).substr(0, std::min(bytes_sent, body.size())));
    // Let the bytes leave before the RST discards whatever is still queued.
    r.sleep(milliseconds(50));
    r.reset();
  };
}

OriginHandler close_without_reply() {
  return [](const OriginRequest&, OriginReply& r) { r.close(); };
}

OriginHandler reset_without_reply() {
  return [](const OriginRequest&, OriginReply& r) { r.reset(); };
}

OriginHandler garbage(std::string bytes) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.write_raw(bytes);
    r.close();
  };
}

OriginHandler interim_then_final(int interim_status, int status, HeaderFields headers,
                                 std::string body) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.interim(interim_status);
    r.reply(status, headers, body);
  };
}

OriginHandler close_delimited(int status, HeaderFields headers, std::string body) {
  return [=](const OriginRequest& req, OriginReply& r) {
    r.keep_alive(false);
    HeaderFields head = headers;
    head.set("Connection", "close");
    r.write_head(status, head);
    if (req.method != "HEAD") r.write_raw(body);
    r.close();
  };
}

OriginHandler oversized_head(size_t header_bytes, int status) {
  return [=](const OriginRequest&, OriginReply& r) {
    r.reply(status, {{"X-Oversized", std::string(header_bytes, 'a')}}, "ok");
  };
}

OriginHandler drip_body(int status, std::string body, milliseconds every) {
  return [=](const OriginRequest& req, OriginReply& r) {
    r.write_head(status, with_length({}, body.size()));
    if (req.method != "HEAD") r.drip(body, every);
  };
}

OriginHandler never_answer() {
  return [](const OriginRequest&, OriginReply& r) { r.wait_peer_closed(kNeverAnswerLimit); };
}

}  // namespace etagd::testing::script
