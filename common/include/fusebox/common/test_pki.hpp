// Throw-away PKI for tests and local runs: a CA and a server certificate made at run time,
// so no private key is ever committed. Not for production use.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/crypto.hpp"

namespace fusebox {

struct TestCa {
  PrivateKey key;
  Certificate cert;
};

struct TestServerCert {
  PrivateKey key;
  Certificate cert;
};

// Self-signed CA on a fresh EC P-256 key, valid from an hour ago for 30 days.
[[nodiscard]] TestCa make_test_ca(std::string_view common_name);

// A TLS server certificate (EC P-256 key) signed by `ca`, naming the given IP addresses and
// DNS names as subjectAltNames. Throws CryptoError for a malformed IP address or name.
[[nodiscard]] TestServerCert issue_server_cert(const TestCa& ca, std::string_view common_name,
                                               const std::vector<std::string>& ip_sans,
                                               const std::vector<std::string>& dns_sans);

// Creates `dir` if needed and writes ca.pem, server.pem and server.key (mode 0600) for a
// server at 127.0.0.1 / localhost. Throws CryptoError naming the path on I/O failure.
void write_test_pki(const std::filesystem::path& dir);

}  // namespace fusebox
