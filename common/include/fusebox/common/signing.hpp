#pragma once
// Message signing as channels do it, shared by the gateway's and the simulator's sides of
// every protocol (each side still assembles and parses its own messages):
//  - canonical_string: the fields sorted by name, "name=value" joined by '&', leaving out
//    empty values and the signature fields themselves;
//  - MessageSigner / MessageVerifier: one interface over RSA-SHA256, ECDSA P-256,
//    Ed25519, HMAC-SHA256 and "none", with signatures carried as base64 text.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fusebox/common/crypto.hpp"

namespace fusebox {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Names compare bytewise. Two fields with the same name make the message ambiguous: nullopt.
[[nodiscard]] std::optional<std::string> canonical_string(
    Fields fields, std::initializer_list<std::string_view> excluded = {"sign", "sign_type"});

enum class SignScheme { none, hmac_sha256, rsa_sha256, ecdsa_p256_sha256, ed25519 };
// Wire names: "none", "hmac-sha256", "rsa-sha256", "ecdsa-p256-sha256", "ed25519".
[[nodiscard]] std::string_view to_string(SignScheme scheme);
[[nodiscard]] std::optional<SignScheme> parse_sign_scheme(std::string_view name);

class MessageSigner {
 public:
  [[nodiscard]] static MessageSigner none() { return MessageSigner(std::monostate{}); }
  [[nodiscard]] static MessageSigner hmac(std::string key) { return MessageSigner(std::move(key)); }
  // Throws CryptoError if the key cannot make `scheme`'s signatures.
  [[nodiscard]] static MessageSigner asymmetric(PrivateKey key, SignScheme scheme);

  [[nodiscard]] SignScheme scheme() const { return scheme_; }
  // base64 of the signature; "" for none.
  [[nodiscard]] std::string sign(std::string_view data) const;

 private:
  using Key = std::variant<std::monostate, std::string, PrivateKey>;
  explicit MessageSigner(Key key);
  MessageSigner(Key key, SignScheme scheme) : key_(std::move(key)), scheme_(scheme) {}
  Key key_;
  SignScheme scheme_;
};

class MessageVerifier {
 public:
  [[nodiscard]] static MessageVerifier none() {
    return MessageVerifier(std::monostate{}, SignScheme::none);
  }
  [[nodiscard]] static MessageVerifier hmac(std::string key) {
    return MessageVerifier(std::move(key), SignScheme::hmac_sha256);
  }
  [[nodiscard]] static MessageVerifier asymmetric(PublicKey key, SignScheme scheme) {
    return MessageVerifier(std::move(key), scheme);
  }

  [[nodiscard]] SignScheme scheme() const { return scheme_; }
  // False for a wrong, malformed or missing signature; with `none`, accepts anything.
  [[nodiscard]] bool verify(std::string_view data, std::string_view signature_base64) const;

 private:
  using Key = std::variant<std::monostate, std::string, PublicKey>;
  MessageVerifier(Key key, SignScheme scheme) : key_(std::move(key)), scheme_(scheme) {}
  Key key_;
  SignScheme scheme_;
};

}  // namespace fusebox
