// Which of a stored entry's representations a request gets (RFC 9110 §12.5.3): the coding
// its Accept-Encoding weighs highest among those the entry holds, ties going to the rule's
// preference order (the order they were stored in), identity when nothing encoded is
// acceptable. A request without Accept-Encoding gets identity (http/accept_encoding.h says
// why); so does one refusing identity with nothing else acceptable, since RFC 9110 §12.5.3
// lets a server send the unencoded answer rather than a 406, and a 406 would leave the client
// without the content it asked for.
//
// A GET with Range gets the identity representation whatever it accepts: byte ranges of a
// stored response are ranges of its identity bytes (RFC 9110 §14.1.1 counts ranges in the
// selected representation's bytes). Answering every Range request from the same
// representation means a client resuming or assembling a download combines pieces of one
// byte sequence even if its Accept-Encoding changes between requests, and the offsets stay
// valid when the rule's levels change (the encoded bytes would not).
#pragma once

#include "cache/cache_entry.h"
#include "http/message_head.h"

namespace etagd::proxy {

cache::Representation choose_representation(const http::RequestHead& request,
                                             const cache::CacheEntry& entry);

}  // namespace etagd::proxy
