#pragma once
// TLS contexts as fusebox uses them on loopback: TLS 1.2 or later, and a client that trusts
// only the CAs it is given (never the system store), so a certificate from any other CA
// fails the handshake. Shared by the simulator's channels and notifications and the
// gateway's listeners and channel pools.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

namespace fusebox::net {

// A server presenting `cert_chain_pem` (leaf first) with `key_pem`. Throws
// std::invalid_argument when either cannot be read or the key does not fit the certificate.
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context> tls_server_context(
    std::string_view cert_chain_pem, std::string_view key_pem);

// A client that verifies its peer against the certificates in `ca_pems` (PEM text, each one
// or more certificates; empty ones skipped). Throws std::invalid_argument on one it cannot
// read. Checking the peer's name is the caller's (it knows the host it dialled).
[[nodiscard]] std::shared_ptr<boost::asio::ssl::context> tls_client_context(
    const std::vector<std::string>& ca_pems);

}  // namespace fusebox::net
