// Hashes, MACs, signatures, keys and certificates over OpenSSL 3's EVP interface.
//
// Anything read from outside (PEM text, files, signatures) is untrusted: a parse or I/O
// failure throws CryptoError with the source and OpenSSL's reason, while a signature or
// certificate that merely does not verify is an ordinary `false`.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

namespace fusebox {

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Empties this thread's OpenSSL error queue and returns its entries joined into one line
// (or "no OpenSSL error reported"), for building error messages.
[[nodiscard]] std::string drain_openssl_errors();

using Bytes = std::vector<std::uint8_t>;
using Sha256Digest = std::array<std::uint8_t, 32>;

[[nodiscard]] Sha256Digest sha256(std::string_view data);
[[nodiscard]] Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// Runs in time independent of the contents, so comparing a received MAC leaks nothing.
// Inputs of different lengths compare unequal (the length itself is not secret).
[[nodiscard]] bool constant_time_equal(std::span<const std::uint8_t> a,
                                       std::span<const std::uint8_t> b);

enum class SignatureAlgorithm { rsa_sha256, ecdsa_p256_sha256, ed25519 };

// Wire names: "rsa-sha256", "ecdsa-p256-sha256", "ed25519".
[[nodiscard]] std::string_view to_string(SignatureAlgorithm algorithm);
[[nodiscard]] std::optional<SignatureAlgorithm> parse_signature_algorithm(std::string_view name);

// Owns any OpenSSL object and frees it with its own free function, e.g.
// Owned<BIO, BIO_free_all>. For file-local handles; the public ones follow.
template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* object) const noexcept {
    Free(object);
  }
};
template <class T, auto Free>
using Owned = std::unique_ptr<T, FreeWith<Free>>;

// Frees each OpenSSL object type with its own free function.
struct OpenSslDeleter {
  void operator()(EVP_PKEY* pkey) const noexcept;
  void operator()(X509* cert) const noexcept;
  void operator()(X509_STORE* store) const noexcept;
};
using PkeyHandle = std::unique_ptr<EVP_PKEY, OpenSslDeleter>;
using X509Handle = std::unique_ptr<X509, OpenSslDeleter>;
using X509StoreHandle = std::unique_ptr<X509_STORE, OpenSslDeleter>;

class PublicKey;

// A private key of any type OpenSSL can load; only RSA, EC P-256 and Ed25519 can sign here.
// Move-only; using a moved-from key is a bug.
class PrivateKey {
 public:
  // Takes ownership; `pkey` must be non-null and hold private material.
  explicit PrivateKey(PkeyHandle pkey) noexcept;

  // Accepts PKCS#8 or traditional PEM; encrypted keys are rejected (no passphrase prompt).
  [[nodiscard]] static PrivateKey from_pem(std::string_view pem, std::string_view source_name);
  [[nodiscard]] static PrivateKey load_pem_file(const std::filesystem::path& path);
  [[nodiscard]] static PrivateKey generate_rsa(int bits);
  [[nodiscard]] static PrivateKey generate_ec_p256();
  [[nodiscard]] static PrivateKey generate_ed25519();

  // Unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
  [[nodiscard]] std::string to_pem() const;
  [[nodiscard]] PublicKey public_key() const;
  // Throws CryptoError for key types no SignatureAlgorithm covers (e.g. EC P-384).
  [[nodiscard]] SignatureAlgorithm natural_algorithm() const;
  // Borrowed, for handing to TLS setup; stays owned by this object.
  [[nodiscard]] EVP_PKEY* native() const noexcept { return pkey_.get(); }

 private:
  PkeyHandle pkey_;
};

class PublicKey {
 public:
  // Takes ownership; `pkey` must be non-null.
  explicit PublicKey(PkeyHandle pkey) noexcept;

  // SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
  [[nodiscard]] static PublicKey from_pem(std::string_view pem, std::string_view source_name);
  [[nodiscard]] static PublicKey load_pem_file(const std::filesystem::path& path);

  [[nodiscard]] std::string to_pem() const;
  [[nodiscard]] SignatureAlgorithm natural_algorithm() const;
  [[nodiscard]] EVP_PKEY* native() const noexcept { return pkey_.get(); }

 private:
  PkeyHandle pkey_;
};

// Throws CryptoError if `key` is not of the type `algorithm` needs.
[[nodiscard]] Bytes sign(const PrivateKey& key, SignatureAlgorithm algorithm,
                         std::string_view data);
// False for a bad signature and for a key that does not fit `algorithm`; throws only when
// OpenSSL itself fails (e.g. out of memory).
[[nodiscard]] bool verify(const PublicKey& key, SignatureAlgorithm algorithm, std::string_view data,
                          std::span<const std::uint8_t> signature);

// An X.509 certificate. Move-only.
class Certificate {
 public:
  // Takes ownership; `cert` must be non-null.
  explicit Certificate(X509Handle cert) noexcept;

  // Reads the first certificate in `pem`.
  [[nodiscard]] static Certificate from_pem(std::string_view pem, std::string_view source_name);
  [[nodiscard]] static Certificate load_pem_file(const std::filesystem::path& path);

  [[nodiscard]] std::string to_pem() const;
  // RFC 2253 form, e.g. "CN=fusebox test CA".
  [[nodiscard]] std::string subject() const;
  [[nodiscard]] PublicKey public_key() const;
  [[nodiscard]] X509* native() const noexcept { return cert_.get(); }

 private:
  X509Handle cert_;
};

// Trust anchors for verifying server certificates. Move-only.
class TrustStore {
 public:
  // Every certificate in `pem` becomes a trust anchor; at least one is required.
  [[nodiscard]] static TrustStore from_pem_bundle(std::string_view pem,
                                                  std::string_view source_name);
  [[nodiscard]] static TrustStore load_pem_file(const std::filesystem::path& path);

  // True when `leaf` chains to an anchor, is valid now, is fit for TLS server use, and
  // names `ip_or_host` (an IP literal is matched against IP SANs, anything else as DNS).
  [[nodiscard]] bool verify(const Certificate& leaf, std::string_view ip_or_host) const;
  // As verify(), but says why it failed; std::nullopt means verified.
  [[nodiscard]] std::optional<std::string> verify_error(const Certificate& leaf,
                                                        std::string_view ip_or_host) const;
  [[nodiscard]] X509_STORE* native() const noexcept { return store_.get(); }

 private:
  explicit TrustStore(X509StoreHandle store) noexcept;

  X509StoreHandle store_;
};

}  // namespace fusebox
