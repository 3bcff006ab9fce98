// A stale-while-revalidate refresh (RFC 5861): an exchange that revalidates a stale entry for
// nobody in particular. It is the Downstream of that exchange: it owns a copy of the request
// that made it (the client's connection moves on to its next request) and discards the
// answer; only the cache update counts.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "cache/cache_entry.h"
#include "http/message_head.h"
#include "proxy/downstream.h"

namespace etagd::proxy {

class Exchange;
class Worker;

class BackgroundRefresh final : public Downstream {
 public:
  // Copies `request`; fails (nothing to refresh with) if the copy does not parse.
  static base::Status make(Worker& worker, const http::RequestHead& request,
                           const ClientIdentity& client, std::unique_ptr<BackgroundRefresh>& out);
  ~BackgroundRefresh();

  // Revalidates `stale`; the caller already leads the coalescing key `key`.
  void start(cache::EntryRef stale, std::string key);
  // The worker is draining or stopping: the exchange gives up.
  void abandon();

  // Downstream: nobody reads the answer.
  void start_answer(const AnswerHead&) override {}
  bool send_body(const char*, size_t) override { return true; }
  void send_entry_body(const cache::EntryRef&, std::string_view) override {}
  void end_answer() override;
  void abort_answer() override { end_answer(); }
  bool retract_answer() override { return true; }
  void flush() override {}
  bool wants_answer() const override { return false; }
  std::string_view protocol() const override { return "HTTP/1.1"; }
  const ClientIdentity& client() const override { return client_; }

 private:
  explicit BackgroundRefresh(Worker& worker);

  Worker& worker_;
  std::string head_bytes_;
  ClientIdentity client_;
  http::RequestHead request_;
  std::unique_ptr<Exchange> exchange_;
};

}  // namespace etagd::proxy
