// Small tools for the ops tests: a scratch directory, file contents, bounded waiting, and a
// raw HTTP/1.1 exchange over a plain socket (the admin server closes after each answer).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "ops/access_log.h"

namespace etagd::ops::test {

// An access log on `path`; null (and a failed check) when it cannot be opened.
inline std::unique_ptr<AccessLog> open_access_log(const std::string& path,
                                                  config::LogFormat format) {
  std::unique_ptr<AccessLog> log;
  base::Status s = AccessLog::open(path, format, log);
  CHECK_MESSAGE(s.is_ok(), s.message());
  return log;
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "etagd-ops-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` every 5 ms until it is true or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Sends `request` as is to 127.0.0.1:port and returns every byte until the server closes
// (bounded by 5 s; throws if the connection fails or the server never closes).
inline std::string raw_exchange(uint16_t port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect failed");
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string response;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      close(fd);
      throw std::runtime_error("server did not close the connection in time");
    }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Splits a Connection: close response; status 0 if it is not HTTP.
inline RawResponse parse_response(const std::string& bytes) {
  RawResponse r;
  size_t end = bytes.find("\r\n\r\n");
  if (bytes.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::stoi(bytes.substr(9, 3));
  r.head = bytes.substr(0, end + 2);
  r.body = bytes.substr(end + 4);
  return r;
}

inline RawResponse request(uint16_t port, const std::string& method, const std::string& target,
                           const std::string& extra_headers = "Host: 127.0.0.1\r\n") {
  return parse_response(
      raw_exchange(port, method + " " + target + " HTTP/1.1\r\n" + extra_headers + "\r\n"));
}

}  // namespace etagd::ops::test
