// Whether the PEM files a TLS setting names can be used, checked while the config file is
// read: a missing file, a certificate that does not parse or a key that does not belong to
// its certificate is reported with file:line like every config error, and a SIGHUP with such
// a mistake keeps the running configuration (and its certificates).
#pragma once

#include <string>

namespace etagd::config {

// "" when `path` is a PEM file with at least one certificate OpenSSL can load as trust
// anchors; else why not.
std::string problem_with_ca_file(const std::string& path);

// "" when `cert` is a PEM certificate chain and `key` the private key of its first
// certificate; else why not, naming the file at fault.
std::string problem_with_certificate_pair(const std::string& cert, const std::string& key);

}  // namespace etagd::config
