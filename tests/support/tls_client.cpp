#include "support/tls_client.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

namespace etagd::testing {

namespace {

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  return reason != nullptr ? reason : "connection closed during the handshake";
}

}  // namespace

TlsClient::TlsClient(uint16_t port, TlsClientOptions options) : timeout_(options.timeout) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (options.min_version != 0) {
    // Old protocols need the lowest security level to be offered at all.
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_min_proto_version(ctx_, options.min_version);
  }
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  // No internal cache: freeing this context would mark its cached sessions not resumable.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  if (!options.ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn);
  ssl_ = SSL_new(ctx_);

  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    release();  // a constructor that throws runs no destructor
    throw TlsHandshakeError("connect failed");
  }
  SSL_set_fd(ssl_, fd_);
  if (!options.server_name.empty()) {
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options.server_name.c_str()));
    if (!options.ca_file.empty()) SSL_set1_host(ssl_, options.server_name.c_str());
  }
  if (options.session != nullptr) SSL_set_session(ssl_, options.session);
  ERR_clear_error();
  if (SSL_connect(ssl_) != 1) {
    long verify = SSL_get_verify_result(ssl_);
    std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : openssl_reason();
    release();  // a constructor that throws runs no destructor
    throw TlsHandshakeError("TLS handshake failed: " + why);
  }
}

TlsClient::~TlsClient() { release(); }

void TlsClient::release() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  SSL_CTX_free(ctx_);
  ctx_ = nullptr;
}

std::string TlsClient::read_some() {
  char buf[16384];
  int n = SSL_read(ssl_, buf, sizeof buf);
  if (n <= 0) {
    int e = SSL_get_error(ssl_, n);
    ERR_clear_error();
    throw HttpError(e == SSL_ERROR_ZERO_RETURN ? IoStatus::closed : IoStatus::error,
                    "TLS read ended (SSL error " + std::to_string(e) + ")");
  }
  return std::string(buf, static_cast<size_t>(n));
}

HttpResponse TlsClient::get(std::string_view target, const HeaderFields& headers) {
  std::string request = "GET " + std::string(target) + " HTTP/1.1\r\n";
  if (!headers.contains("Host")) request += "Host: localhost\r\n";
  request += headers.serialize();
  request += "\r\n";
  if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) {
    ERR_clear_error();
    throw HttpError(IoStatus::error, "TLS write failed");
  }
  size_t head_end;
  for (int i = 0; (head_end = buffered_.find("\r\n\r\n")) == std::string::npos; ++i) {
    if (i > 1000) throw HttpError(IoStatus::too_large, "no end of head");
    buffered_ += read_some();
  }
  HttpResponse r;
  r.raw_head = buffered_.substr(0, head_end + 4);
  buffered_.erase(0, head_end + 4);
  size_t line_end = r.raw_head.find("\r\n");
  std::string status_line = r.raw_head.substr(0, line_end);
  if (status_line.size() < 12) throw HttpError(IoStatus::malformed, "bad status line");
  r.version = status_line.substr(0, 8);
  r.status = std::stoi(status_line.substr(9, 3));
  r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  for (size_t pos = line_end + 2; pos < head_end;) {
    size_t end = r.raw_head.find("\r\n", pos);
    std::string line = r.raw_head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers.add(line.substr(0, colon), v == std::string::npos ? "" : line.substr(v));
    }
    pos = end + 2;
  }
  size_t length = r.headers.contains("Content-Length")
                      ? std::stoul(r.headers.get("Content-Length"))
                      : 0;
  for (int i = 0; buffered_.size() < length; ++i) {
    if (i > 100000) throw HttpError(IoStatus::too_large, "body too long");
    buffered_ += read_some();
  }
  r.body = buffered_.substr(0, length);
  buffered_.erase(0, length);
  return r;
}

std::string TlsClient::protocol() const { return SSL_get_version(ssl_); }

std::string TlsClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string TlsClient::peer_common_name() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

bool TlsClient::resumed() const { return SSL_session_reused(ssl_) == 1; }

SSL_SESSION* TlsClient::take_session() const { return SSL_get1_session(ssl_); }

}  // namespace etagd::testing
