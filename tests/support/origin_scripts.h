// Ready-made ScriptedOrigin handlers for the upstream behaviours etagd must survive.
// Each returns an OriginHandler to pass to ScriptedOrigin::route(); they compose where that
// makes sense: origin.route("/slow", script::delayed(500ms, script::respond(200, {}, "ok"))).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "support/header_fields.h"
#include "support/scripted_origin.h"

namespace etagd::testing::script {

// A complete response with Content-Length.
OriginHandler respond(int status, HeaderFields headers = {}, std::string body = "");
// 200 (or `status`) with Content-Type: application/json.
OriginHandler respond_json(std::string json, int status = 200);
// A chunked response; with a pause, chunks are written that far apart.
OriginHandler respond_chunked(int status, HeaderFields headers, std::vector<std::string> chunks,
                              milliseconds pause_between_chunks = milliseconds(0));
// Waits before running `then` (an upstream slower than etagd's read timeout, ...).
OriginHandler delayed(milliseconds delay, OriginHandler then);
// Announces Content-Length of the whole body, sends its first `bytes_sent` bytes, then FIN.
OriginHandler close_mid_body(int status, std::string body, size_t bytes_sent);
// Same, but aborts with RST.
OriginHandler reset_mid_body(int status, std::string body, size_t bytes_sent);
// Closes (FIN) without sending a byte: a pooled connection the upstream already dropped.
OriginHandler close_without_reply();
// Aborts (RST) without sending a byte.
OriginHandler reset_without_reply();
// Sends `bytes` (by default a line that is not an HTTP status line), then FIN.
OriginHandler garbage(std::string bytes = "HTTP/1.1 OOPS not a status line\r\n\r\n");
// Sends a 1xx interim response, then the final response.
OriginHandler interim_then_final(int interim_status, int status, HeaderFields headers,
                                 std::string body);
// A response without Content-Length or chunked framing: the body ends when the origin closes
// the connection (RFC 9112 §6.3 rule 8).
OriginHandler close_delimited(int status, HeaderFields headers, std::string body);
// A response whose head holds one header field of `header_bytes` bytes (tests head limits).
OriginHandler oversized_head(size_t header_bytes, int status = 200);
// Sends the head at once, then the body one byte at a time, `every` apart.
OriginHandler drip_body(int status, std::string body, milliseconds every);
// Never answers: holds the request until the client goes away or the origin stops.
OriginHandler never_answer();

}  // namespace etagd::testing::script
