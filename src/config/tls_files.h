// Whether the PEM files a TLS setting names can be used, checked while the config file is
// read: a missing file, a certificate that does not parse or a key that does not belong to
// its certificate is reported with file:line like every config error, and a SIGHUP with such
// a mistake keeps the running configuration (and its certificates).
#pragma once

#include <string>

#include "base/status.h"

namespace etagd::config {

// OK when `path` is a PEM file with at least one certificate OpenSSL can load as trust
// anchors; else why not.
base::Status check_ca_file(const std::string& path);

// The outcome of check_certificate_pair: the reason names the file at fault, and `key_at_fault`
// says which of the two it is (the config error points at that setting's line).
struct CertificatePairCheck {
  base::Status status;
  bool key_at_fault = false;
};

// OK when `cert` is a PEM certificate chain and `key` the private key of its first
// certificate.
CertificatePairCheck check_certificate_pair(const std::string& cert, const std::string& key);

}  // namespace etagd::config
