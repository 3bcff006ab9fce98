// Throwaway certificates for the TLS tests, made with the `openssl` command at test time in a
// private temporary directory: nothing secret lives in the repository, and nothing expires in
// it either. P-256 keys, so the whole set takes well under a second.
//
//   TestCertificates pki;                     // CA, other CA, server and client certificates
//   TlsOrigin origin(backend, pki.good());     // an https origin that etagd trusts via pki.ca()
//   shared_pki().good();                       // the one set all tests of a binary share
//
// Every server certificate carries the name `localhost` and the address 127.0.0.1 (except
// wrong_name, which names only wrong.example).
#pragma once

#include <string>

#include "support/temp_dir.h"

namespace etagd::testing {

struct CertificatePair {
  std::string cert;  // PEM path
  std::string key;
};

class TestCertificates {
 public:
  // Generates everything; throws std::runtime_error with openssl's output if a step fails.
  TestCertificates();

  const std::string& ca() const { return ca_; }              // the CA etagd is told to trust
  const std::string& other_ca() const { return other_ca_; }  // a CA nobody is told to trust
  CertificatePair good() const { return pair("good"); }                // by ca(), right names
  CertificatePair renewed() const { return pair("renewed"); }          // same names, new key
  CertificatePair wrong_name() const { return pair("wrong_name"); }    // by ca(), wrong.example
  CertificatePair expired() const { return pair("expired"); }          // by ca(), expired
  CertificatePair untrusted() const { return pair("untrusted"); }      // by other_ca()
  CertificatePair second_host() const { return pair("second"); }       // by ca(), other.test
  CertificatePair client() const { return pair("client"); }            // client auth, by ca()

  // A certificate and key of which one belongs to another pair: a broken pair.
  CertificatePair mismatched() const { return {pair("good").cert, pair("renewed").key}; }

  // Issues another server certificate signed by ca() for `dns_name` (and 127.0.0.1).
  CertificatePair issue(const std::string& name, const std::string& dns_name) const;

  const TempDir& dir() const { return dir_; }

 private:
  CertificatePair pair(const std::string& name) const;
  std::string path(const std::string& file) const { return dir_.file(file).string(); }

  TempDir dir_{"etagd-pki"};
  std::string ca_;
  std::string other_ca_;
};

// One set per test process, made on first use: a TLS test binary pays for openssl once.
const TestCertificates& shared_pki();

}  // namespace etagd::testing
