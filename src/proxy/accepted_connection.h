// A connection a worker accepted from a client, whatever protocol it speaks (HTTP/1.x in
// client_connection.h, HTTP/2 in http2_session.h): what the worker needs to drain and close
// it. The worker owns every accepted connection and destroys it through its graveyard after
// the connection called Worker::close_connection().
#pragma once

namespace etagd::proxy {

class AcceptedConnection {
 public:
  virtual ~AcceptedConnection() = default;
  // Drain: finish what is in flight, take nothing new, then close.
  virtual void close_when_idle() = 0;
  // Closes now (the worker destroys the connection after the current callback).
  virtual void close() = 0;
};

}  // namespace etagd::proxy
