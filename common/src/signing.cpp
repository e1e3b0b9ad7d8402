#include "fusebox/common/signing.hpp"

#include <algorithm>
#include <array>

#include "fusebox/common/codec.hpp"

namespace fusebox {

namespace {

constexpr std::array<std::pair<SignScheme, std::string_view>, 5> kSchemeNames{{
    {SignScheme::none, "none"},
    {SignScheme::hmac_sha256, "hmac-sha256"},
    {SignScheme::rsa_sha256, "rsa-sha256"},
    {SignScheme::ecdsa_p256_sha256, "ecdsa-p256-sha256"},
    {SignScheme::ed25519, "ed25519"},
}};

std::optional<SignatureAlgorithm> asymmetric_algorithm(SignScheme scheme) {
  switch (scheme) {
    case SignScheme::rsa_sha256:
      return SignatureAlgorithm::rsa_sha256;
    case SignScheme::ecdsa_p256_sha256:
      return SignatureAlgorithm::ecdsa_p256_sha256;
    case SignScheme::ed25519:
      return SignatureAlgorithm::ed25519;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> canonical_string(Fields fields,
                                            std::initializer_list<std::string_view> excluded) {
  std::erase_if(fields, [&](const auto& field) {
    return field.second.empty() ||
           std::find(excluded.begin(), excluded.end(), field.first) != excluded.end();
  });
  std::sort(fields.begin(), fields.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0 && fields[i].first == fields[i - 1].first) return std::nullopt;
    if (i > 0) out += '&';
    out += fields[i].first;
    out += '=';
    out += fields[i].second;
  }
  return out;
}

std::string_view to_string(SignScheme scheme) {
  for (const auto& [s, name] : kSchemeNames) {
    if (s == scheme) return name;
  }
  return "unknown";
}

std::optional<SignScheme> parse_sign_scheme(std::string_view name) {
  for (const auto& [s, n] : kSchemeNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

MessageSigner::MessageSigner(Key key)
    : key_(std::move(key)),
      scheme_(std::holds_alternative<std::string>(key_) ? SignScheme::hmac_sha256
                                                        : SignScheme::none) {}

MessageSigner MessageSigner::asymmetric(PrivateKey key, SignScheme scheme) {
  const auto algorithm = asymmetric_algorithm(scheme);
  if (!algorithm || key.natural_algorithm() != *algorithm) {
    throw CryptoError("a " + std::string(to_string(key.natural_algorithm())) + " key cannot sign " +
                      std::string(to_string(scheme)));
  }
  return MessageSigner(Key(std::move(key)), scheme);
}

std::string MessageSigner::sign(std::string_view data) const {
  if (const auto* secret = std::get_if<std::string>(&key_)) {
    const Sha256Digest mac = hmac_sha256(*secret, data);
    return base64_encode(std::span<const std::uint8_t>(mac));
  }
  if (const auto* key = std::get_if<PrivateKey>(&key_)) {
    const Bytes signature = fusebox::sign(*key, *asymmetric_algorithm(scheme_), data);
    return base64_encode(std::span<const std::uint8_t>(signature));
  }
  return "";
}

bool MessageVerifier::verify(std::string_view data, std::string_view signature_base64) const {
  if (scheme_ == SignScheme::none) return true;
  const auto signature = base64_decode(signature_base64);
  if (!signature || signature->empty()) return false;
  if (const auto* secret = std::get_if<std::string>(&key_)) {
    const Sha256Digest mac = hmac_sha256(*secret, data);
    return constant_time_equal(mac, *signature);
  }
  const auto* key = std::get_if<PublicKey>(&key_);
  return key != nullptr && fusebox::verify(*key, *asymmetric_algorithm(scheme_), data, *signature);
}

}  // namespace fusebox
