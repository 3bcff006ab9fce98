#!/usr/bin/python3
"""A fragile origin for bench/fragile_origin: a legacy API that falls over under concurrency.

It serves up to CAPACITY requests at once, each taking WORK milliseconds, and answers 500 at
once to any request beyond that (as tests/support/fragile_origin.h does for the tests). GET
/stats answers the counts so far as one line: "served=N failed=N peak=N" (not counted itself).

  fragile_origin.py PORT [CAPACITY=8] [WORK_MS=20]

HTTP/1.1 with keep-alive, one thread per connection (a proxy opens few; wrk never talks to it).
"""
import http.server
import sys
import threading
import time


class Counts:
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    served = 0
    failed = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Head and body leave in one write (flushed after each request): written apart, Nagle
    # holds the body until the proxy's delayed ACK of the head, 40 ms a request on loopback.
    wbufsize = 65536

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store" if status != 200 else "max-age=60")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            with Counts.lock:
                line = f"served={Counts.served} failed={Counts.failed} peak={Counts.peak}\n"
            self.answer(200, line)
            return
        with Counts.lock:
            Counts.in_flight += 1
            Counts.peak = max(Counts.peak, Counts.in_flight)
            over = Counts.in_flight > CAPACITY
            if over:
                Counts.in_flight -= 1
                Counts.failed += 1
        if over:
            self.answer(500, "overloaded\n")
            return
        time.sleep(WORK)
        # Counted out before the answer leaves: the proxy may send the next request as soon
        # as it has this answer, and that one must not find this one still counted.
        with Counts.lock:
            Counts.in_flight -= 1
            Counts.served += 1
        self.answer(200, "served " + self.path + "\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


if __name__ == "__main__":
    port = int(sys.argv[1])
    CAPACITY = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    WORK = (int(sys.argv[3]) if len(sys.argv) > 3 else 20) / 1000.0
    Server(("127.0.0.1", port), Handler).serve_forever()
