// Session ticket keys as a client sees them: a ticket resumes on any context that shares the
// keys (every listener and worker of a process), still resumes one rotation period later, and
// is refused two periods later, when the client gets a full handshake instead.
#include "net/tls_ticket_keys.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/tls_server_contexts.h"

namespace etagd::net {
namespace {

// A throwaway self-signed certificate for "localhost", written as PEM files in a new
// temporary directory (made in-process: the unit tests start no programs).
struct SelfSigned {
  std::string dir;
  std::string cert;
  std::string key;

  SelfSigned() {
    char tmpl[] = "/tmp/etagd-ticket-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    const unsigned char cn[] = "localhost";
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~SelfSigned() {
    std::remove(cert.c_str());
    std::remove(key.c_str());
    ::rmdir(dir.c_str());
  }
};

// One connection over a socket pair, both ends driven here; true if the client resumed.
// `session` offers a session and receives the one the server's ticket made.
bool connect_once(const TlsServerContexts& server, SSL_CTX* client_ctx, SslSessionPtr& session) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  for (int fd : fds) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  SslPtr s = server.new_connection();
  SslPtr c(SSL_new(client_ctx));
  SSL_set_fd(s.get(), fds[0]);
  SSL_set_fd(c.get(), fds[1]);
  SSL_set_accept_state(s.get());
  SSL_set_connect_state(c.get());
  if (session) SSL_set_session(c.get(), session.get());
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    int rc = SSL_do_handshake(c.get());
    int rs = SSL_do_handshake(s.get());
    done = rc == 1 && rs == 1;
  }
  REQUIRE(done);
  // The TLS 1.3 ticket follows the handshake: let the client read it with some data.
  REQUIRE(SSL_write(s.get(), "x", 1) == 1);
  char byte = 0;
  for (int i = 0; i < 100 && SSL_read(c.get(), &byte, 1) != 1; ++i) {
  }
  CHECK(byte == 'x');
  bool resumed = SSL_session_reused(c.get()) == 1;
  session.reset(SSL_get1_session(c.get()));
  SSL_set_shutdown(c.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_set_shutdown(s.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  ::close(fds[0]);
  ::close(fds[1]);
  return resumed;
}

struct Fixture {
  SelfSigned files;
  int64_t now = 1'000'000;
  TlsTicketKeys keys{std::chrono::seconds(3600), [this] { return now; }};
  std::shared_ptr<const TlsServerContexts> server;
  SslCtxPtr client{SSL_CTX_new(TLS_client_method())};

  Fixture() {
    TlsServerOptions o;
    o.certificates.push_back({files.cert, files.key});
    REQUIRE(TlsServerContexts::make(o, keys, server));
    SSL_CTX_set_session_cache_mode(client.get(), SSL_SESS_CACHE_CLIENT);
  }
};

TEST_CASE("a session ticket resumes on another context made with the same keys") {
  Fixture f;
  SslSessionPtr session;
  CHECK_FALSE(connect_once(*f.server, f.client.get(), session));
  // A reload builds new contexts; another worker uses the same ones: both share the keys.
  std::shared_ptr<const TlsServerContexts> reloaded;
  TlsServerOptions o;
  o.certificates.push_back({f.files.cert, f.files.key});
  REQUIRE(TlsServerContexts::make(o, f.keys, reloaded));
  CHECK(connect_once(*reloaded, f.client.get(), session));
}

TEST_CASE("a ticket still resumes one rotation period later and is refused two periods later") {
  Fixture f;
  SslSessionPtr session;
  CHECK_FALSE(connect_once(*f.server, f.client.get(), session));
  SslSessionPtr first(SSL_SESSION_dup(session.get()));
  f.now += 3600;  // the keys rotated once: the previous key still decrypts
  CHECK(connect_once(*f.server, f.client.get(), session));
  f.now += 3600;  // twice since the first ticket: its key is gone
  CHECK_FALSE(connect_once(*f.server, f.client.get(), first));
}

TEST_CASE("keys made at another start (another secret) do not decrypt the tickets") {
  Fixture f;
  SslSessionPtr session;
  CHECK_FALSE(connect_once(*f.server, f.client.get(), session));
  TlsTicketKeys restarted(std::chrono::seconds(3600), [&f] { return f.now; });
  std::shared_ptr<const TlsServerContexts> other;
  TlsServerOptions o;
  o.certificates.push_back({f.files.cert, f.files.key});
  REQUIRE(TlsServerContexts::make(o, restarted, other));
  CHECK_FALSE(connect_once(*other, f.client.get(), session));
}

}  // namespace
}  // namespace etagd::net
