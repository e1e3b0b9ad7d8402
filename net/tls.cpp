#include "fusebox/net/tls.hpp"

#include <stdexcept>

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>
#include <openssl/ssl.h>

namespace fusebox::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

std::shared_ptr<ssl::context> make_context(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  return context;
}

}  // namespace

std::shared_ptr<ssl::context> tls_server_context(std::string_view cert_chain_pem,
                                                 std::string_view key_pem) {
  auto context = make_context(ssl::context::tls_server);
  boost::system::error_code ec;
  context->use_certificate_chain(asio::buffer(cert_chain_pem), ec);
  if (ec) throw std::invalid_argument("the certificate is not a PEM chain: " + ec.message());
  context->use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) {
    throw std::invalid_argument("the key is not a PEM key that fits the certificate: " +
                                ec.message());
  }
  return context;
}

std::shared_ptr<ssl::context> tls_client_context(const std::vector<std::string>& ca_pems) {
  auto context = make_context(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  for (const std::string& pem : ca_pems) {
    if (pem.empty()) continue;
    boost::system::error_code ec;
    context->add_certificate_authority(asio::buffer(pem), ec);
    if (ec) throw std::invalid_argument("not a PEM certificate: " + ec.message());
  }
  return context;
}

}  // namespace fusebox::net
