#!/usr/bin/python3
"""A scripted HTTP/2 client (python3-h2) for the cases curl and nghttp will not send:
malformed requests and floods. It connects to 127.0.0.1:PORT with prior knowledge, plays one
scenario and prints what the server answered, one fact per line, for the tests to look for:

  stream 1 status 400          stream 1 header content-type: text/plain; charset=utf-8
  stream 1 body 46 bytes       stream 1 reset 1            (RST_STREAM, its error code)
  stream 1 interim 103         stream 1 interim 103 header link: </a.css>; rel=preload
  goaway 11                    closed                      (the server closed the connection)
  setting 3 128                (a SETTINGS entry the server sent: its id and value)
  pings 3                      (PINGs the server sent; the h2 scenarios answer them with a
                               PING ACK, the raw ones below, zero-window and wait-close, do not)

Scenarios (argv[2]); every loop is bounded and every read has a deadline:
  request JSON       the requests in JSON (a list of {"headers": [[n, v]...], "body": str,
                     "open": true to leave the request unfinished}), sent as given, without
                     h2's own checks
  settings           the server's first SETTINGS frame, entry by entry
  rapid-reset N      N streams opened and reset at once (CVE-2023-44487)
  paced-reset N/R    N streams opened and reset, R a second, evenly spaced, reading what the
                     server sends meanwhile (stops at its GOAWAY)
  continuation N     one HEADERS frame then N CONTINUATION frames, never END_HEADERS
  hpack-bomb N       a 4000-byte field put in the dynamic table once, then referenced N times
  settings-flood N   one SETTINGS frame of N entries
  ping-flood N       N PINGs, without reading anything until they are all written
  zero-window PATH   a GET of PATH with the stream windows at 0; then waits for the close
  wait-close PATH    a GET of PATH; then reads until the server closes
  two-gets MS        a GET of /first, its answer, MS milliseconds of quiet, a GET of /second;
                     then reads until the server closes
"""
import json
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, SettingsFrame

PORT = int(sys.argv[1])
SCENARIO = sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else ""
DEADLINE = time.monotonic() + 10


def connect(initial_window=None):
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False,
                                    validate_inbound_headers=False, header_encoding="utf-8")
    conn = h2.connection.H2Connection(config=cfg)
    conn.initiate_connection()
    if initial_window is not None:
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: initial_window})
    sock.sendall(conn.data_to_send())
    return sock, conn


def base_headers(path="/x"):
    return [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:%d" % PORT),
            (":path", path)]


def read_all(sock, conn, result, until_closed=False, want_streams=()):
    """Reads events into `result` until the server closes, the deadline passes, or (unless
    until_closed) every stream in want_streams ended."""
    streams = result["streams"]
    while time.monotonic() < DEADLINE:
        if not until_closed and want_streams and all(
                str(s) in streams and streams[str(s)]["done"] for s in want_streams):
            return
        sock.settimeout(max(0.05, DEADLINE - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return
        except ConnectionResetError:
            result["closed"] = True
            return
        if not data:
            result["closed"] = True
            return
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            # h2 refuses every frame after a GOAWAY (see read_frames): go on without it.
            read_frames(sock, conn, result)
            return
        for ev in events:
            sid = str(getattr(ev, "stream_id", 0))
            st = streams.setdefault(sid, {"status": None, "headers": {}, "body": "",
                                          "reset": None, "done": False})
            if isinstance(ev, h2.events.InformationalResponseReceived):
                st.setdefault("interim", []).append(
                    (None if st["status"] is None else "after-final",
                     [(n, v) for n, v in ev.headers]))
            elif isinstance(ev, h2.events.ResponseReceived):
                for n, v in ev.headers:
                    if n == ":status":
                        st["status"] = int(v)
                    else:
                        st["headers"][n] = v
            elif isinstance(ev, h2.events.DataReceived):
                st["body"] += ev.data.decode("latin-1")
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                st["done"] = True
            elif isinstance(ev, h2.events.StreamReset):
                st["reset"] = int(ev.error_code)
                st["done"] = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                result["goaway"] = int(ev.error_code)
            elif isinstance(ev, h2.events.PingReceived):  # h2 queues the PING ACK itself
                result["pings"] = result.get("pings", 0) + 1
        out = conn.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except OSError:
                result["closed"] = True
                return


def main():
    result = {"streams": {}, "goaway": None, "closed": False}
    if SCENARIO == "request":
        sock, conn = connect()
        ids = []
        for req in json.loads(ARG):
            sid = conn.get_next_available_stream_id()
            ids.append(sid)
            body = req.get("body", "").encode()
            is_open = req.get("open", False)
            conn.send_headers(sid, [tuple(h) for h in req["headers"]],
                              end_stream=not body and not is_open)
            if body:
                conn.send_data(sid, body, end_stream=not is_open)
        sock.sendall(conn.data_to_send())
        read_all(sock, conn, result, want_streams=ids)
    elif SCENARIO == "rapid-reset":
        sock, conn = connect()
        for _ in range(int(ARG)):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, base_headers("/reset"), end_stream=True)
            conn.reset_stream(sid)
        # Then one ordinary request: answered if the resets were tolerated.
        last = conn.get_next_available_stream_id()
        conn.send_headers(last, base_headers("/after-resets"), end_stream=True)
        sock.sendall(conn.data_to_send())
        read_all(sock, conn, result, want_streams=[last])
    elif SCENARIO == "settings":
        sock, conn = connect()
        result["settings"] = read_settings(sock, conn)
    elif SCENARIO == "paced-reset":
        sock, conn = connect()
        count, rate = (int(x) for x in ARG.split("/"))
        start = time.monotonic()
        result["resets_sent"] = 0
        for i in range(count):
            if not pace_until(sock, conn, result, start + i / rate):
                break
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, base_headers("/reset"), end_stream=True)
            conn.reset_stream(sid)
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                result["closed"] = True
                break
            result["resets_sent"] += 1
        if result["goaway"] is None and not result["closed"]:
            last = conn.get_next_available_stream_id()
            conn.send_headers(last, base_headers("/after-resets"), end_stream=True)
            sock.sendall(conn.data_to_send())
            read_all(sock, conn, result, want_streams=[last])
        else:
            seen = result["goaway"]
            read_goaway(sock, result)  # until the close
            if result["goaway"] is None:
                result["goaway"] = seen
    elif SCENARIO == "continuation":
        sock, conn = connect()
        block = conn.encoder.encode(base_headers())
        frames = [HeadersFrame(1, data=block, flags=["END_STREAM"]).serialize()]
        filler = conn.encoder.encode([("x-filler", "y" * 100)])
        for _ in range(int(ARG)):
            frames.append(ContinuationFrame(1, data=filler).serialize())
        try:
            sock.sendall(b"".join(frames))
        except OSError:
            result["closed"] = True
        # The events h2 would raise for frames it did not see itself are not wanted here:
        # read the GOAWAY by hand.
        read_goaway(sock, result)
    elif SCENARIO == "hpack-bomb":
        sock, conn = connect()
        sid = conn.get_next_available_stream_id()
        big = ("x-bomb", "b" * 4000)
        # The first reference adds it to the table (incremental indexing); every later one is
        # a single byte on the wire that decodes to 4000.
        conn.send_headers(sid, base_headers("/bomb") + [big] * int(ARG), end_stream=True)
        sock.sendall(conn.data_to_send())
        read_all(sock, conn, result, want_streams=[sid])
    elif SCENARIO == "settings-flood":
        sock, conn = connect()
        frame = SettingsFrame(0)
        frame.settings = {0x100 + i: i for i in range(int(ARG))}  # unknown ids are allowed
        sock.sendall(frame.serialize())
        read_goaway(sock, result)
    elif SCENARIO == "ping-flood":
        sock, conn = connect()
        ping = PingFrame(0, opaque_data=b"12345678").serialize()
        try:
            sock.settimeout(5)
            for _ in range(int(ARG)):
                sock.sendall(ping)
        except OSError:
            result["closed"] = True  # the server stopped taking them
        result["sent_all"] = not result["closed"]
        if not result["closed"]:
            read_goaway(sock, result)
    elif SCENARIO in ("zero-window", "wait-close"):
        sock, conn = connect(initial_window=0 if SCENARIO == "zero-window" else None)
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, base_headers(ARG), end_stream=True)
        sock.sendall(conn.data_to_send())
        start = time.monotonic()
        read_frames(sock, conn, result)
        result["seconds_to_close"] = round(time.monotonic() - start, 2)
    elif SCENARIO == "two-gets":
        sock, conn = connect()
        first = conn.get_next_available_stream_id()
        conn.send_headers(first, base_headers("/first"), end_stream=True)
        sock.sendall(conn.data_to_send())
        read_all(sock, conn, result, want_streams=[first])
        time.sleep(int(ARG) / 1000)
        second = conn.get_next_available_stream_id()
        conn.send_headers(second, base_headers("/second"), end_stream=True)
        sock.sendall(conn.data_to_send())
        read_frames(sock, conn, result)
    else:
        raise SystemExit("unknown scenario " + SCENARIO)
    for sid, st in sorted(result["streams"].items(), key=lambda kv: int(kv[0])):
        if sid == "0":
            continue
        for after, fields in st.get("interim", []):
            code = dict(fields).get(":status")
            print("stream %s interim %s%s" % (sid, code, " after-final" if after else ""))
            for n, v in fields:
                if n != ":status":
                    print("stream %s interim %s header %s: %s" % (sid, code, n, v))
        if st["status"] is not None:
            print("stream %s status %d" % (sid, st["status"]))
        for n, v in st["headers"].items():
            print("stream %s header %s: %s" % (sid, n, v))
        if st["status"] is not None:
            print("stream %s body %d bytes" % (sid, len(st["body"])))
        if st["reset"] is not None:
            print("stream %s reset %d" % (sid, st["reset"]))
    if result["goaway"] is not None:
        print("goaway %d" % result["goaway"])
    if result["closed"]:
        print("closed")
    for setting, value in result.get("settings", []):
        print("setting %d %d" % (setting, value))
    for key in ("sent_all", "seconds_to_close", "client_error", "resets_sent", "pings"):
        if key in result:
            print("%s %s" % (key, result[key]))


def read_frames(sock, conn, result):
    """Reads raw frames until the close, decoding HEADERS with the connection's HPACK state.
    h2 takes any GOAWAY as the end of the connection and refuses the frames that follow it,
    but a server that drains sends GOAWAY first and then completes the streams in flight."""
    buf = b""
    streams = result["streams"]
    while time.monotonic() < DEADLINE:
        sock.settimeout(max(0.05, DEADLINE - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return
        except OSError:
            result["closed"] = True
            return
        if not data:
            result["closed"] = True
            return
        buf += data
        while len(buf) >= 9:
            length = int.from_bytes(buf[0:3], "big")
            if len(buf) < 9 + length:
                break
            ftype, flags = buf[3], buf[4]
            sid = str(int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF)
            payload = buf[9:9 + length]
            buf = buf[9 + length:]
            st = streams.setdefault(sid, {"status": None, "headers": {}, "body": "",
                                          "reset": None, "done": False})
            if ftype == 0x1:  # HEADERS (etagd sends neither padding nor priority)
                for n, v in conn.decoder.decode(payload):
                    n = n.decode() if isinstance(n, bytes) else n
                    v = v.decode() if isinstance(v, bytes) else v
                    if n == ":status":
                        st["status"] = int(v)
                    else:
                        st["headers"][n] = v
            elif ftype == 0x0:  # DATA
                st["body"] += payload.decode("latin-1")
            elif ftype == 0x3:  # RST_STREAM
                st["reset"] = int.from_bytes(payload[0:4], "big")
            elif ftype == 0x7:  # GOAWAY: last stream id, error code
                result["goaway"] = int.from_bytes(payload[4:8], "big")
            elif ftype == 0x6 and not flags & 0x1:  # PING, not an ACK: left unanswered
                result["pings"] = result.get("pings", 0) + 1


def read_settings(sock, conn):
    """The entries of the server's first SETTINGS frame, in the order sent."""
    while time.monotonic() < DEADLINE:
        sock.settimeout(max(0.05, DEADLINE - time.monotonic()))
        data = sock.recv(65536)
        if not data:
            return []
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                return [(int(c.setting), c.new_value) for c in ev.changed_settings.values()]
    return []


def pace_until(sock, conn, result, when):
    """Reads what the server sends until `when`; False once it sent GOAWAY or closed."""
    while True:
        wait = when - time.monotonic()
        readable, _, _ = select.select([sock], [], [], max(0, wait))
        if not readable:
            return True
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            result["closed"] = True
            return False
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ConnectionTerminated):
                result["goaway"] = int(ev.error_code)
                return False
        out = conn.data_to_send()
        if out:
            sock.sendall(out)


def read_goaway(sock, result):
    """Reads raw frames until a GOAWAY or the close; records its error code."""
    sock_result = {"streams": {}, "goaway": None, "closed": False}
    conn = h2.connection.H2Connection()
    read_frames(sock, conn, sock_result)
    result["goaway"] = sock_result["goaway"]
    result["closed"] = result["closed"] or sock_result["closed"]


if __name__ == "__main__":
    main()
