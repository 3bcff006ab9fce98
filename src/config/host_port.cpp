#include "config/host_port.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <utility>

#include "config/concat.h"

namespace etagd::config {

namespace {

base::Status parse_port(std::string_view text, uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return base::Status::error(concat("'", text, "' is not a port number"));
  }
  if (value < 1 || value > 65535) {
    return base::Status::error(concat("port ", text, " is out of range (1 to 65535)"));
  }
  port = static_cast<uint16_t>(value);
  return base::Status::ok();
}

bool is_ipv6(std::string_view text) {
  std::string s(text);
  in6_addr addr{};
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';  // not RFC 1123, but container runtimes hand out such names
}

}  // namespace

bool is_bare_port(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool ipv6_available() {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool is_host_name_or_ipv4(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    std::string s(host);
    in_addr addr{};
    return inet_pton(AF_INET, s.c_str(), &addr) == 1;
  }
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_label_char(c)) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

base::Status parse_host_port(std::string_view text, std::optional<uint16_t> default_port,
                             ListenAddress& result) {
  ListenAddress out;
  out.text = std::string(text);
  std::string_view host;
  std::string_view rest;  // ":port" or ""
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return base::Status::error("'[' without a closing ']'");
    }
    host = text.substr(1, close - 1);
    if (!is_ipv6(host)) {
      return base::Status::error(concat("'", host, "' is not an IPv6 address"));
    }
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return base::Status::error("expected ':port' after ']'");
    }
  } else {
    size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return base::Status::error("an IPv6 address goes in brackets, e.g. [::1]:8080");
    }
    host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    if (host.empty()) {
      return base::Status::error("the host is missing; write 0.0.0.0:PORT for every IPv4 address or [::]:PORT for IPv6");
    }
    if (!is_host_name_or_ipv4(host)) {
      return base::Status::error(concat("'", host, "' is not a host name or IP address"));
    }
  }
  out.host = std::string(host);
  if (rest.empty()) {
    if (!default_port) {
      return base::Status::error("the port is missing; write host:port, e.g. 127.0.0.1:8080");
    }
    out.port = *default_port;
    result = std::move(out);
    return base::Status::ok();
  }
  if (base::Status s = parse_port(rest.substr(1), out.port); !s) return s;
  result = std::move(out);
  return base::Status::ok();
}

}  // namespace etagd::config
