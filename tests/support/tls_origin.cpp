#include "support/tls_origin.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "support/free_port.h"

namespace etagd::testing {

namespace {

bool send_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void set_timeouts(int fd) {
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int connect_backend(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  set_timeouts(fd);
  return fd;
}

}  // namespace

TlsOrigin::TlsOrigin(uint16_t backend_port, Options options) : backend_port_(backend_port) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  // Handshake records are handled inside SSL_read without blocking for application data.
  SSL_CTX_clear_mode(ctx_, SSL_MODE_AUTO_RETRY);
  static const unsigned char kContext[] = "etagd-test-origin";
  SSL_CTX_set_session_id_context(ctx_, kContext, sizeof kContext - 1);
  if (SSL_CTX_use_certificate_chain_file(ctx_, options.certificate.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx_, options.certificate.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx_);
    throw std::runtime_error("TlsOrigin: cannot load " + options.certificate.cert);
  }
  if (!options.client_ca.empty()) {
    SSL_CTX_load_verify_locations(ctx_, options.client_ca.c_str(), nullptr);
    SSL_CTX_set_client_CA_list(ctx_, SSL_load_client_CA_file(options.client_ca.c_str()));
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  listen_fd_ = bind_loopback(AF_INET, 0);
  if (listen_fd_ < 0 || ::listen(listen_fd_, 64) != 0) {
    SSL_CTX_free(ctx_);
    throw std::runtime_error("TlsOrigin: cannot listen");
  }
  port_ = bound_port(listen_fd_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsOrigin::~TlsOrigin() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::thread& t : connections_) t.join();
  }
  ::close(listen_fd_);
  SSL_CTX_free(ctx_);
}

void TlsOrigin::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void TlsOrigin::serve(int fd) {
  set_timeouts(fd);
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  int backend = -1;
  if (SSL_accept(ssl) != 1) {
    ++failed_;
  } else {
    ++handshakes_;
    if (SSL_session_reused(ssl) == 1) ++resumed_;
    backend = connect_backend(backend_port_);
  }
  char buf[16384];
  // Relays until either side closes; 30 s of silence (600 polls of 50 ms) also ends it.
  for (int quiet = 0; backend >= 0 && !stop_ && quiet < 600;) {
    pollfd p[2] = {{fd, POLLIN, 0}, {backend, POLLIN, 0}};
    bool pending = SSL_pending(ssl) > 0;
    int n = pending ? 1 : ::poll(p, 2, 50);
    if (n <= 0) {
      ++quiet;
      continue;
    }
    quiet = 0;
    if (pending || (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      int r = SSL_read(ssl, buf, sizeof buf);
      if (r <= 0) {
        if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ) continue;
        break;
      }
      if (!send_all(backend, buf, static_cast<size_t>(r))) break;
    }
    if (!pending && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t r = ::recv(backend, buf, sizeof buf, 0);
      if (r <= 0 || SSL_write(ssl, buf, static_cast<int>(r)) <= 0) break;
    }
  }
  if (backend >= 0) {
    SSL_shutdown(ssl);
    ::close(backend);
  }
  SSL_free(ssl);
  ERR_clear_error();
  ::close(fd);
}

}  // namespace etagd::testing
