#include "support/http_client.h"

#include <cstdio>
#include <utility>

namespace etagd::testing {
namespace {

constexpr size_t kMaxHeadBytes = 1024 * 1024;
constexpr size_t kMaxBodyBytes = 256 * 1024 * 1024;
constexpr size_t kShownBytes = 300;

std::string printable(std::string_view bytes) {
  std::string out;
  for (char ch : bytes.substr(0, kShownBytes)) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  if (bytes.size() > kShownBytes) out += "...";
  return out;
}

bool method_may_have_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

bool HttpResponse::keeps_alive() const {
  if (headers.has_token("Connection", "close")) return false;
  if (version == "HTTP/1.0") return headers.has_token("Connection", "keep-alive");
  return framing != BodyFraming::until_close;
}

HttpClient::HttpClient(uint16_t port, milliseconds timeout)
    : HttpClient("127.0.0.1", port, timeout) {}

HttpClient::HttpClient(std::string host, uint16_t port, milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {
  std::string error;
  int fd = connect_tcp(host_, port_, deadline_after(timeout_), &error);
  if (fd < 0) throw HttpError(IoStatus::error, error);
  stream_ = SocketStream(fd);
}

void HttpClient::send_raw(std::string_view bytes) {
  IoStatus st = stream_.write_all(bytes, deadline_after(timeout_));
  if (st != IoStatus::ok) {
    throw HttpError(st, std::string("sending request: ") + describe(st));
  }
}

void HttpClient::send_request(std::string_view method, std::string_view target,
                              const HeaderFields& headers, std::string_view body) {
  std::string out;
  out.reserve(256 + body.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!headers.contains("Host")) {
    bool v6 = host_.find(':') != std::string::npos;
    out += "Host: " + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "\r\n";
  }
  out += headers.serialize();
  if ((!body.empty() || method_may_have_body(method)) && !headers.contains("Content-Length") &&
      !headers.contains("Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  send_raw(out);
  pending_methods_.emplace_back(method);
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 const HeaderFields& headers, std::string_view body) {
  send_request(method, target, headers, body);
  return read_response();
}

HttpResponse HttpClient::get(std::string_view target, const HeaderFields& headers) {
  return request("GET", target, headers);
}

HttpResponse HttpClient::read_response(bool expect_body) {
  ReadOptions options;
  options.expect_body = expect_body;
  return read_response(options);
}

HttpResponse HttpClient::read_response(const ReadOptions& options) {
  Deadline deadline = deadline_after(timeout_);
  HttpResponse resp;
  for (;;) {
    std::string head;
    IoStatus st = stream_.read_until("\r\n\r\n", kMaxHeadBytes, deadline, head);
    if (st != IoStatus::ok) {
      throw HttpError(st, std::string("reading response head: ") + describe(st) + "; received \"" +
                              printable(stream_.buffered()) + "\"");
    }
    std::string start_line;
    std::string why;
    HeaderFields fields;
    StatusLine status;
    if (!parse_head(head, start_line, fields, &why)) {
      throw HttpError(IoStatus::malformed,
                      "malformed response head (" + why + "): \"" + printable(head) + "\"");
    }
    if (!parse_status_line(start_line, status)) {
      throw HttpError(IoStatus::malformed, "malformed status line: \"" + printable(head) + "\"");
    }
    // 1xx responses other than 101 precede the final response (RFC 9110 §15.2).
    if (status.status >= 100 && status.status < 200 && status.status != 101 &&
        !options.return_interim) {
      resp.interim.push_back({status.status, status.reason, std::move(fields)});
      continue;
    }
    resp.version = std::move(status.version);
    resp.status = status.status;
    resp.reason = std::move(status.reason);
    resp.headers = std::move(fields);
    resp.raw_head = std::move(head);
    break;
  }
  if (resp.status < 200) return resp;  // interim (or 101): no body, the request still pends

  std::string method = "GET";
  if (!pending_methods_.empty()) {
    method = pending_methods_.front();
    pending_methods_.pop_front();
  }
  if (!options.expect_body) method = "HEAD";
  BodyFraming framing = response_framing(method, resp.status, resp.headers);
  resp.framing = framing.kind;
  IoStatus st = IoStatus::ok;
  std::string why;
  switch (framing.kind) {
    case BodyFraming::none: break;
    case BodyFraming::length:
      if (framing.content_length > kMaxBodyBytes) {
        throw HttpError(IoStatus::too_large, "response body too large for the test client");
      }
      st = stream_.read_exact(static_cast<size_t>(framing.content_length), deadline, resp.body);
      if (st != IoStatus::ok) {
        why = "body ended after " + std::to_string(resp.body.size()) + " of " +
              std::to_string(framing.content_length) + " bytes: " + describe(st);
      }
      break;
    case BodyFraming::chunked:
      st = read_chunked_body(stream_, deadline, kMaxBodyBytes, resp.body, resp.trailers, &why);
      break;
    case BodyFraming::until_close:
      st = stream_.read_to_eof(kMaxBodyBytes, deadline, resp.body);
      if (st != IoStatus::ok) why = std::string("close-delimited body: ") + describe(st);
      break;
    case BodyFraming::invalid:
      throw HttpError(IoStatus::malformed,
                      framing.problem + " in \"" + printable(resp.raw_head) + "\"");
  }
  if (st != IoStatus::ok) {
    resp.complete = false;
    resp.problem = why;
  }
  return resp;
}

bool HttpClient::wait_closed(milliseconds timeout) {
  if (!stream_.is_open()) return true;
  IoStatus st = stream_.wait_closed(deadline_after(timeout));
  return st != IoStatus::timeout;
}

std::string HttpClient::read_until_closed() {
  std::string out;
  IoStatus st = stream_.read_to_eof(kMaxBodyBytes, deadline_after(timeout_), out);
  if (st != IoStatus::ok && st != IoStatus::reset) {
    throw HttpError(st, std::string("reading until close: ") + describe(st) + "; received \"" +
                            printable(out) + "\"");
  }
  return out;
}

std::string HttpClient::read_some(milliseconds timeout) {
  if (stream_.buffered().empty()) stream_.fill(deadline_after(timeout));
  return stream_.take_buffered();
}

void HttpClient::shutdown_write() { stream_.shutdown_write(); }
void HttpClient::close() { stream_.close(); }
void HttpClient::reset() { stream_.reset(); }

HttpResponse http_get(uint16_t port, std::string_view target, const HeaderFields& headers,
                      milliseconds timeout) {
  HttpClient client(port, timeout);
  return client.get(target, headers);
}

HttpResponse http_request(uint16_t port, std::string_view method, std::string_view target,
                          const HeaderFields& headers, std::string_view body,
                          milliseconds timeout) {
  HttpClient client(port, timeout);
  return client.request(method, target, headers, body);
}

}  // namespace etagd::testing
