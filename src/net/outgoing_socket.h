// The start of an outgoing TCP connection, the part every transport shares: a non-blocking
// socket with TCP_NODELAY whose connect is under way (it completes when the socket becomes
// writable; SO_ERROR then says how it went).
#pragma once

#include "base/status.h"
#include "base/unique_fd.h"
#include "net/socket_address.h"

namespace etagd::net {

// A failure known at once (no socket, refused on the spot) is returned; otherwise `out` holds
// the connecting socket.
base::Status start_connect(const SocketAddress& to, base::UniqueFd& out);

// After the socket became writable: 0 when connected, else the errno of the failure.
int connect_result(int fd);

}  // namespace etagd::net
