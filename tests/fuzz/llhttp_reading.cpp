#include "llhttp_reading.h"

namespace etagd::fuzz {

namespace {

LlhttpReading& reading(llhttp_t* p) { return *static_cast<LlhttpReading*>(p->data); }

int on_message_begin(llhttp_t* p) {
  ++reading(p).messages;
  return 0;
}
int on_url(llhttp_t* p, const char* at, size_t len) {
  reading(p).url.append(at, len);
  return 0;
}
int on_status(llhttp_t* p, const char* at, size_t len) {
  reading(p).reason.append(at, len);
  return 0;
}
// A field's name arrives before its value; a new entry starts at each name.
int on_header_field(llhttp_t* p, const char* at, size_t len) {
  reading(p).fields.back().first.append(at, len);
  return 0;
}
int on_header_value(llhttp_t* p, const char* at, size_t len) {
  reading(p).fields.back().second.append(at, len);
  return 0;
}
int on_header_value_complete(llhttp_t* p) {
  reading(p).fields.emplace_back();
  return 0;
}
int on_headers_complete(llhttp_t* p) {
  LlhttpReading& r = reading(p);
  ++r.heads;
  r.major = llhttp_get_http_major(p);
  r.minor = llhttp_get_http_minor(p);
  r.status = llhttp_get_status_code(p);
  r.has_content_length = (p->flags & F_CONTENT_LENGTH) != 0;
  r.content_length = p->content_length;
  r.chunked = (p->flags & F_CHUNKED) != 0;
  return 1;  // no body: the head alone is under test
}

LlhttpReading run(http::HeadKind kind, std::string_view head) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_status = on_status;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_header_value_complete = on_header_value_complete;
  settings.on_headers_complete = on_headers_complete;
  llhttp_t parser;
  llhttp_init(&parser, kind == http::HeadKind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
  LlhttpReading r;
  r.fields.emplace_back();
  parser.data = &r;
  llhttp_errno_t err = llhttp_execute(&parser, head.data(), head.size());
  r.error = err == HPE_PAUSED_UPGRADE ? HPE_OK : err;
  r.fields.pop_back();  // the entry opened after the last value
  return r;
}

}  // namespace

LlhttpReading read_with_llhttp(http::HeadKind kind, std::string_view head) {
  LlhttpReading r = run(kind, head);
  if (kind == http::HeadKind::Request && r.error == HPE_INVALID_METHOD) {
    size_t sp = head.find(' ');
    if (sp != std::string_view::npos) {
      std::string replaced = "GET";
      replaced.append(head.substr(sp));
      r = run(kind, replaced);
      r.method_replaced = true;
    }
  }
  return r;
}

}  // namespace etagd::fuzz
