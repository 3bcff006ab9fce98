// Escaping of request data (targets, field values) written into log lines, so that a line
// always splits the same way: a client cannot forge fields or lines with a crafted target.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace etagd::ops {

// etagd's text formats: `"` and `\` become \" and \\, other bytes outside printable ASCII
// \xHH.
void append_text_escaped(fmt::memory_buffer& out, std::string_view s);
// The same for at most the first `max_bytes` of `s`, then "..." when it was longer: for
// request data repeated in the error log.
void append_text_escaped(fmt::memory_buffer& out, std::string_view s, size_t max_bytes);

// nginx's `escape=default` (ngx_http_log_escape): `"`, `\` and every byte outside printable
// ASCII become \xHH (`"` is \x22). What parsers of nginx's combined format expect.
void append_nginx_escaped(fmt::memory_buffer& out, std::string_view s);

}  // namespace etagd::ops
