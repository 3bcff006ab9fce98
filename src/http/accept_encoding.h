// Accept-Encoding (RFC 9110 §12.5.3): which content codings a request accepts, with what
// weight, and which of the codings a server can produce it should get.
//
//   - codings compare case-insensitively; "x-gzip" is gzip (§8.4.1.3);
//   - a weight is "q=" followed by 0 to 1 with at most three decimals (§12.4.2); q=0 means
//     "not acceptable"; a member with a malformed weight is ignored;
//   - "*" stands for every coding the field does not name;
//   - identity is acceptable unless "identity;q=0", or "*;q=0" without identity, says not;
//   - an empty field value accepts identity only.
//
// A request without the field may, by the RFC, take any coding; etagd answers it with
// identity all the same, since clients that can decode say so (curl without --compressed,
// scripts, health checks send no Accept-Encoding and read the body as it comes).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/content_coding.h"
#include "http/header_list.h"

namespace etagd::http {

class AcceptEncoding {
 public:
  // Reads every Accept-Encoding line of `headers` (they form one list, RFC 9110 §5.3).
  static AcceptEncoding from_request(const HeaderList& headers);
  // One field value (what from_request() does per line).
  static AcceptEncoding parse(std::string_view value);

  // The weight of `coding` in thousandths (0 = not acceptable, 1000 = q=1).
  int weight(ContentCoding coding) const;
  bool acceptable(ContentCoding coding) const { return weight(coding) > 0; }

  // The coding to answer with, among `offered` (the server's preference order, identity
  // implied last): the highest weight wins, ties go to the earlier of `offered`, and identity
  // only when no offered coding weighs more. When nothing is acceptable (identity refused too)
  // the answer is identity anyway: RFC 9110 §12.5.3 lets a server send an unencoded answer
  // rather than a 406, and a client that refused identity still gets the content.
  ContentCoding choose(std::span<const ContentCoding> offered) const;

  // The canonical form of what the request accepts, among the codings etagd recognises:
  // those acceptable, in a fixed order, comma-separated ("br,gzip,identity"). Requests with
  // the same key accept the same recognised codings, so a response an upstream chose for one
  // is acceptable to the other: the key a response varying on Accept-Encoding is stored
  // under (the raw field would split "gzip, deflate, br" from "br, gzip, deflate").
  std::string variant_key() const;

 private:
  void apply(std::string_view value);

  bool present_ = false;
  // Weight per ContentCoding, -1 while the field does not name it; then `*`'s.
  std::array<int16_t, kContentCodingCount> named_{-1, -1, -1, -1, -1};
  int16_t star_ = -1;
};

// AcceptEncoding::from_request(headers).variant_key(): the cache's variant value of the
// request field "accept-encoding" (cache_entry.h).
std::string accept_encoding_variant_key(const HeaderList& headers);

}  // namespace etagd::http
