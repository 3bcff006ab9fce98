// What an Exchange answers through. An HTTP/1.1 client connection implements it
// (client_connection.h), an HTTP/2 stream will, and a background refresh does (it answers
// nobody and only wants the cache updated).
//
// One answer per exchange, in this order:
//
//   start_answer(head)            the status and fields; held back until body bytes follow,
//                                 the answer ends or flush() is called, so that a failure
//                                 right after the head can still be answered honestly
//   send_body(...)* and send_entry_body(entry, bytes)*
//   end_answer()                  complete: the exchange is retired after this call
//   abort_answer()                cannot be completed (the upstream failed mid-body): the
//                                 client must see a message that ends early
//
// retract_answer() takes back a head that has not gone out yet (then a new start_answer() may
// follow). Back-pressure: send_body() returns false when the downstream holds more than it
// wants; the exchange then stops reading from the upstream until on_downstream_drained().
//
// A downstream whose client goes away calls Exchange::abandon(), possibly from inside one of
// these calls; the exchange checks for it after each call that can send.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cache/cache_entry.h"
#include "ops/exchange_record.h"
#include "proxy/client_identity.h"

namespace etagd::proxy {

struct AnswerHead {
  int status = 200;
  // Field lines as clients get them ("Name: value\r\n"...; response_fields.h), without Date,
  // Age, the cache-status field and framing, which the downstream writes in its own protocol.
  std::string_view fields;
  int64_t age = -1;                         // Age field, when >= 0 (RFC 9111 §5.1)
  // Date field (epoch seconds): the origin's, for what etagd relays or serves from storage
  // (RFC 9110 §6.6.1: when the message was generated). -1: etagd made the answer now.
  int64_t date = -1;
  std::string_view status_header;           // the cache-status field name ("X-Cache"); may be empty
  ops::CacheStatus cache_status = ops::CacheStatus::None;  // omitted when None
  bool heuristic_freshness = false;  // served from an entry fresh by heuristic (RFC 9111 §4.2.2)
  std::optional<uint64_t> content_length;   // unknown (streamed) when empty
  // No body whatever the request method: 1xx, 204, 304 (RFC 9110 §6.4.1).
  bool no_content = false;
};

class Downstream {
 public:
  // An interim response (RFC 9110 §15.2: 103 Early Hints, 102...) before start_answer; `fields`
  // are "Name: value\r\n" lines. A downstream that cannot carry one (HTTP/1.0, a background
  // refresh) drops it.
  virtual void send_interim(int /*status*/, std::string_view /*fields*/) {}
  virtual void start_answer(const AnswerHead& head) = 0;
  // Copies `len` bytes. False: over the high watermark, stop producing for now.
  virtual bool send_body(const char* data, size_t len) = 0;
  // Bytes of a stored entry's body (all of it, or a range of it), sent by reference: a hit
  // copies no body byte. `bytes` lies within entry->body().
  virtual void send_entry_body(const cache::EntryRef& entry, std::string_view bytes) = 0;
  virtual void end_answer() = 0;
  virtual void abort_answer() = 0;
  // True if the head had not gone out yet and is dropped.
  virtual bool retract_answer() = 0;
  // Sends what is held: the end of one upstream read, one write.
  virtual void flush() = 0;

  // False for a background refresh: nobody reads the answer, only the cache counts.
  virtual bool wants_answer() const { return true; }
  // Who asked (for X-Forwarded-*, the access log and metrics); stable for the exchange.
  virtual const ClientIdentity& client() const = 0;
  // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0": for the access log.
  virtual std::string_view protocol() const = 0;

 protected:
  ~Downstream() = default;
};

}  // namespace etagd::proxy
