// The result of an operation that can fail with a reason a person reads (a log line, a 502's
// body, a startup error). One type instead of bool + out-string, nullable + out-string and
// "empty string means OK": the reason travels with the failure and cannot be ignored.
//
//   Status s = resolve_address(host, port, out);
//   if (!s) return Status::error("upstream: " + s.message());
//
// Success holds nothing and allocates nothing.
#pragma once

#include <string>
#include <utility>

namespace etagd::base {

class [[nodiscard]] Status {
 public:
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  // Empty when is_ok().
  const std::string& message() const { return message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

}  // namespace etagd::base
