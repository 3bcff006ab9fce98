// etagd's own short answers (a 502 for an unreachable upstream, a 400 for a malformed
// request...): a one-line text/plain body "502 Bad Gateway: <reason>\n", never stored, the same
// in every protocol.
#pragma once

#include <string>
#include <string_view>

namespace etagd::proxy {

// Via as on every answer etagd relays (response_fields.h, RFC 9110 §7.6.3): a client, or a
// cache in front, can tell the 502/504 came from etagd and not from the origin.
inline constexpr std::string_view kErrorAnswerFields =
    "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nVia: 1.1 etagd\r\n";

std::string error_answer_body(int status, std::string_view reason);

}  // namespace etagd::proxy
