#include "proxy/error_answer.h"

#include "http/field_writer.h"
#include "http/status.h"

namespace etagd::proxy {

std::string error_answer_body(int status, std::string_view reason) {
  std::string body;
  http::append_decimal(body, static_cast<uint64_t>(status));
  body += ' ';
  body.append(http::reason_phrase(status));
  if (!reason.empty()) {
    body += ": ";
    body.append(reason);
  }
  body += '\n';
  return body;
}

}  // namespace etagd::proxy
