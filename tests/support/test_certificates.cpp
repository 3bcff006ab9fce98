#include "support/test_certificates.h"

#include <stdexcept>
#include <vector>

#include "support/child_process.h"

namespace etagd::testing {

namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.emplace_back("openssl");
  for (const std::string& a : args) argv.push_back(a);
  ProcessResult r = run_process(argv, milliseconds(20000));
  if (r.timed_out || !r.exit.success()) {
    std::string command;
    for (const std::string& a : args) command += a + " ";
    throw std::runtime_error("test certificates: `" + command + "` failed:\n" + r.output);
  }
}

}  // namespace

TestCertificates::TestCertificates() : ca_(path("ca.pem")), other_ca_(path("other-ca.pem")) {
  dir_.write("ext.cnf",
             "[server]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
             "[wrong]\nsubjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n"
             "[second]\nsubjectAltName=DNS:other.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
             "[client]\nextendedKeyUsage=clientAuth\n");
  for (const char* ca : {"ca", "other-ca"}) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", path(std::string(ca) + ".key"), "-out", path(std::string(ca) + ".pem"),
             "-days", "2", "-subj", std::string("/CN=etagd test ") + ca});
  }
  struct Leaf {
    const char* name;
    const char* cn;
    const char* section;
    const char* signer;
    const char* days;  // -1: already expired when issued
  };
  for (const Leaf& l : {Leaf{"good", "localhost", "server", "ca", "2"},
                        Leaf{"renewed", "localhost renewed", "server", "ca", "2"},
                        Leaf{"wrong_name", "wrong.example", "wrong", "ca", "2"},
                        Leaf{"expired", "localhost", "server", "ca", "-1"},
                        Leaf{"untrusted", "localhost", "server", "other-ca", "2"},
                        Leaf{"second", "other.test", "second", "ca", "2"},
                        Leaf{"client", "etagd test client", "client", "ca", "2"}}) {
    std::string n = l.name;
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             path(n + ".key"), "-out", path(n + ".csr"), "-subj", std::string("/CN=") + l.cn});
    openssl({"x509", "-req", "-in", path(n + ".csr"), "-CA", path(std::string(l.signer) + ".pem"),
             "-CAkey", path(std::string(l.signer) + ".key"), "-days", l.days, "-extfile",
             path("ext.cnf"), "-extensions", l.section, "-out", path(n + ".pem")});
  }
}

CertificatePair TestCertificates::pair(const std::string& name) const {
  return {path(name + ".pem"), path(name + ".key")};
}

CertificatePair TestCertificates::issue(const std::string& name, const std::string& dns_name) const {
  dir_.write(name + ".cnf", "[leaf]\nsubjectAltName=DNS:" + dns_name +
                                ",IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + dns_name});
  openssl({"x509", "-req", "-in", path(name + ".csr"), "-CA", ca_, "-CAkey", path("ca.key"),
           "-days", "2", "-extfile", path(name + ".cnf"), "-extensions", "leaf", "-out",
           path(name + ".pem")});
  return pair(name);
}

const TestCertificates& shared_pki() {
  static const TestCertificates certificates;
  return certificates;
}

}  // namespace etagd::testing
