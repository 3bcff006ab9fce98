#include "http/body_framing.h"

namespace etagd::http {

BodyFraming response_body_framing(bool head_request, const ResponseHead& response) {
  if (head_request || response.status < 200 || response.status == 204 || response.status == 304) {
    return BodyFraming::None;
  }
  if (response.chunked) return BodyFraming::Chunked;
  if (response.content_length) {
    return *response.content_length == 0 ? BodyFraming::None : BodyFraming::ContentLength;
  }
  return BodyFraming::CloseDelimited;
}

}  // namespace etagd::http
