#include "fusebox/common/crypto.hpp"

#include <algorithm>
#include <cassert>
#include <fstream>
#include <system_error>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace fusebox {
namespace {

// A distribution's whole CA bundle is ~220 KiB; a PEM input far beyond that is not one of ours.
constexpr std::size_t kMaxPemBytes = std::size_t{4} * 1024 * 1024;
// The queue holds at most 16 entries; the first few carry the cause, the rest are noise.
constexpr int kMaxReportedErrors = 4;

using BioHandle = Owned<BIO, BIO_free_all>;
using MdCtxHandle = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using PkeyCtxHandle = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MacCtxHandle = Owned<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using StoreCtxHandle = Owned<X509_STORE_CTX, X509_STORE_CTX_free>;

[[noreturn]] void fail(const std::string& what) {
  throw CryptoError(what + ": " + drain_openssl_errors());
}

const unsigned char* bytes_of(std::string_view text) {
  // OpenSSL rejects a null pointer even for zero bytes, and an empty string_view may have one.
  static constexpr unsigned char kEmpty[1] = {0};
  return text.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(text.data());
}

// The password callback: without it OpenSSL would prompt on the terminal for encrypted keys.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

BioHandle input_bio(std::string_view text, std::string_view source_name) {
  if (text.size() > kMaxPemBytes) {
    throw CryptoError("PEM from " + std::string(source_name) + " is " +
                      std::to_string(text.size()) + " bytes, over the limit of " +
                      std::to_string(kMaxPemBytes));
  }
  const char* data = text.empty() ? "" : text.data();
  BioHandle bio(BIO_new_mem_buf(data, static_cast<int>(text.size())));
  if (!bio) fail("cannot allocate a buffer for " + std::string(source_name));
  return bio;
}

BioHandle output_bio() {
  BioHandle bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("cannot allocate an output buffer");
  return bio;
}

std::string contents_of(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return {};
  return {data, static_cast<std::size_t>(size)};
}

std::string read_pem_file(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw CryptoError("cannot read " + path.string() + ": " + error.message());
  if (size > kMaxPemBytes) {
    throw CryptoError("cannot read " + path.string() + ": " + std::to_string(size) +
                      " bytes, over the limit of " + std::to_string(kMaxPemBytes));
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) throw CryptoError("cannot read " + path.string() + ": read failed");
  return text;
}

std::string key_type_name(EVP_PKEY* pkey) {
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return name != nullptr ? name : "unknown";
}

bool is_p256(EVP_PKEY* pkey) {
  char name[64] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &length) != 1) {
    ERR_clear_error();
    return false;
  }
  const std::string_view group(name, length);
  return group == "prime256v1" || group == "P-256";
}

// RSA-PSS keys are not "RSA" here: they cannot make the PKCS#1 v1.5 signatures we promise.
std::optional<SignatureAlgorithm> algorithm_of(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA") == 1) return SignatureAlgorithm::rsa_sha256;
  if (EVP_PKEY_is_a(pkey, "ED25519") == 1) return SignatureAlgorithm::ed25519;
  if (EVP_PKEY_is_a(pkey, "EC") == 1 && is_p256(pkey)) {
    return SignatureAlgorithm::ecdsa_p256_sha256;
  }
  return std::nullopt;
}

SignatureAlgorithm natural_algorithm_of(EVP_PKEY* pkey) {
  const std::optional<SignatureAlgorithm> algorithm = algorithm_of(pkey);
  if (!algorithm) {
    throw CryptoError("no supported signature algorithm for a " + key_type_name(pkey) +
                      " key (supported: RSA, EC P-256, Ed25519)");
  }
  return *algorithm;
}

// Ed25519 hashes internally and must be given no digest.
const char* digest_name(SignatureAlgorithm algorithm) {
  return algorithm == SignatureAlgorithm::ed25519 ? nullptr : "SHA256";
}

// PKCS#1 v1.5 is OpenSSL's default for RSA today; pinning it keeps the wire format fixed.
void pin_padding(EVP_PKEY_CTX* pctx, SignatureAlgorithm algorithm) {
  if (algorithm != SignatureAlgorithm::rsa_sha256) return;
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    fail("cannot select RSA PKCS#1 v1.5 padding");
  }
}

MdCtxHandle new_md_ctx() {
  MdCtxHandle ctx(EVP_MD_CTX_new());
  if (!ctx) fail("cannot allocate a digest context");
  return ctx;
}

// Fetched once: an explicit fetch skips the per-call provider lookup of implicit fetching.
const EVP_MD* sha256_md() {
  static const Owned<EVP_MD, EVP_MD_free> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!md) fail("cannot fetch SHA256");
  return md.get();
}

EVP_MAC* hmac_mac() {
  static const Owned<EVP_MAC, EVP_MAC_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) fail("cannot fetch HMAC");
  return mac.get();
}

PkeyCtxHandle keygen_context(const char* key_type) {
  PkeyCtxHandle ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    fail(std::string("cannot set up ") + key_type + " key generation");
  }
  return ctx;
}

PkeyHandle generate_key(EVP_PKEY_CTX* ctx, const char* key_type) {
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_generate(ctx, &pkey) != 1) fail(std::string("cannot generate ") + key_type + " key");
  return PkeyHandle(pkey);
}

}  // namespace

std::string drain_openssl_errors() {
  std::string text;
  int count = 0;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    if (++count > kMaxReportedErrors) continue;
    char buffer[256] = {};
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  if (count > kMaxReportedErrors) text += "; ...";
  return text.empty() ? "no OpenSSL error reported" : text;
}

Sha256Digest sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes_of(data), data.size(), digest.data(), &length, sha256_md(), nullptr) != 1 ||
      length != digest.size()) {
    fail("SHA-256 failed");
  }
  return digest;
}

namespace {

// A context keyed and set up once per key and thread, then duplicated per message: setting the
// digest and the key costs more than hashing a short message. A few keys per thread (a
// simulator or gateway talks to a handful of channels); the least recent is replaced.
EVP_MAC_CTX* keyed_hmac_context(std::string_view key) {
  struct Keyed {
    std::string key;
    MacCtxHandle ctx;
    std::uint64_t used = 0;
  };
  constexpr std::size_t kKeysPerThread = 8;
  thread_local std::vector<Keyed> cache;
  thread_local std::uint64_t clock = 0;
  ++clock;
  for (Keyed& keyed : cache) {
    if (keyed.key == key) {
      keyed.used = clock;
      return keyed.ctx.get();
    }
  }
  MacCtxHandle ctx(EVP_MAC_CTX_new(hmac_mac()));
  if (!ctx) fail("cannot allocate an HMAC context");
  char digest_name_buffer[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name_buffer, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), bytes_of(key), key.size(), params) != 1) {
    fail("HMAC-SHA256 key setup failed");
  }
  if (cache.size() == kKeysPerThread) {
    const auto oldest = std::min_element(
        cache.begin(), cache.end(), [](const Keyed& a, const Keyed& b) { return a.used < b.used; });
    cache.erase(oldest);
  }
  cache.push_back(Keyed{std::string(key), std::move(ctx), clock});
  return cache.back().ctx.get();
}

}  // namespace

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  MacCtxHandle ctx(EVP_MAC_CTX_dup(keyed_hmac_context(key)));
  if (!ctx) fail("cannot copy an HMAC context");
  Sha256Digest mac{};
  std::size_t length = 0;
  if (EVP_MAC_update(ctx.get(), bytes_of(data), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac.data(), &length, mac.size()) != 1 || length != mac.size()) {
    fail("HMAC-SHA256 failed");
  }
  return mac;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view to_string(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_sha256:
      return "rsa-sha256";
    case SignatureAlgorithm::ecdsa_p256_sha256:
      return "ecdsa-p256-sha256";
    case SignatureAlgorithm::ed25519:
      return "ed25519";
  }
  return "unknown";
}

std::optional<SignatureAlgorithm> parse_signature_algorithm(std::string_view name) {
  for (const SignatureAlgorithm algorithm :
       {SignatureAlgorithm::rsa_sha256, SignatureAlgorithm::ecdsa_p256_sha256,
        SignatureAlgorithm::ed25519}) {
    if (name == to_string(algorithm)) return algorithm;
  }
  return std::nullopt;
}

void OpenSslDeleter::operator()(EVP_PKEY* pkey) const noexcept { EVP_PKEY_free(pkey); }
void OpenSslDeleter::operator()(X509* cert) const noexcept { X509_free(cert); }
void OpenSslDeleter::operator()(X509_STORE* store) const noexcept { X509_STORE_free(store); }

// ---- PrivateKey

PrivateKey::PrivateKey(PkeyHandle pkey) noexcept : pkey_(std::move(pkey)) {
  assert(pkey_ != nullptr);
}

PrivateKey PrivateKey::from_pem(std::string_view pem, std::string_view source_name) {
  const BioHandle bio = input_bio(pem, source_name);
  PkeyHandle pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!pkey) fail("cannot parse private key PEM from " + std::string(source_name));
  return PrivateKey(std::move(pkey));
}

PrivateKey PrivateKey::load_pem_file(const std::filesystem::path& path) {
  return from_pem(read_pem_file(path), path.string());
}

PrivateKey PrivateKey::generate_rsa(int bits) {
  // Below 2048 bits RSA is breakable; above 16384 keygen takes minutes.
  if (bits < 2048 || bits > 16384) {
    throw CryptoError("RSA key size must be 2048..16384 bits, not " + std::to_string(bits));
  }
  const PkeyCtxHandle ctx = keygen_context("RSA");
  if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1) fail("cannot set RSA key size");
  return PrivateKey(generate_key(ctx.get(), "RSA"));
}

PrivateKey PrivateKey::generate_ec_p256() {
  const PkeyCtxHandle ctx = keygen_context("EC");
  if (EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1) fail("cannot select curve P-256");
  return PrivateKey(generate_key(ctx.get(), "EC P-256"));
}

PrivateKey PrivateKey::generate_ed25519() {
  const PkeyCtxHandle ctx = keygen_context("ED25519");
  return PrivateKey(generate_key(ctx.get(), "Ed25519"));
}

std::string PrivateKey::to_pem() const {
  const BioHandle bio = output_bio();
  if (PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    fail("cannot write private key PEM");
  }
  return contents_of(bio.get());
}

// A DER round trip copies only the public half, so a PublicKey never carries a secret.
PublicKey PrivateKey::public_key() const {
  const BioHandle bio = output_bio();
  if (i2d_PUBKEY_bio(bio.get(), pkey_.get()) != 1) fail("cannot encode public key");
  PkeyHandle pub(d2i_PUBKEY_bio(bio.get(), nullptr));
  if (!pub) fail("cannot decode public key");
  return PublicKey(std::move(pub));
}

SignatureAlgorithm PrivateKey::natural_algorithm() const {
  return natural_algorithm_of(pkey_.get());
}

// ---- PublicKey

PublicKey::PublicKey(PkeyHandle pkey) noexcept : pkey_(std::move(pkey)) {
  assert(pkey_ != nullptr);
}

PublicKey PublicKey::from_pem(std::string_view pem, std::string_view source_name) {
  const BioHandle bio = input_bio(pem, source_name);
  PkeyHandle pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!pkey) fail("cannot parse public key PEM from " + std::string(source_name));
  return PublicKey(std::move(pkey));
}

PublicKey PublicKey::load_pem_file(const std::filesystem::path& path) {
  return from_pem(read_pem_file(path), path.string());
}

std::string PublicKey::to_pem() const {
  const BioHandle bio = output_bio();
  if (PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) fail("cannot write public key PEM");
  return contents_of(bio.get());
}

SignatureAlgorithm PublicKey::natural_algorithm() const {
  return natural_algorithm_of(pkey_.get());
}

// ---- Signatures

Bytes sign(const PrivateKey& key, SignatureAlgorithm algorithm, std::string_view data) {
  const std::string name(to_string(algorithm));
  if (algorithm_of(key.native()) != algorithm) {
    throw CryptoError("cannot sign with " + name + ": the key is " + key_type_name(key.native()));
  }
  const MdCtxHandle ctx = new_md_ctx();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit_ex(ctx.get(), &pctx, digest_name(algorithm), nullptr, nullptr,
                            key.native(), nullptr) != 1) {
    fail("cannot start " + name + " signing");
  }
  pin_padding(pctx, algorithm);
  // The first call reports the maximum size; ECDSA's DER signature may come out shorter.
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, bytes_of(data), data.size()) != 1) {
    fail(name + " signing failed");
  }
  Bytes signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, bytes_of(data), data.size()) != 1) {
    fail(name + " signing failed");
  }
  signature.resize(size);
  return signature;
}

bool verify(const PublicKey& key, SignatureAlgorithm algorithm, std::string_view data,
            std::span<const std::uint8_t> signature) {
  if (algorithm_of(key.native()) != algorithm || signature.empty()) return false;
  const MdCtxHandle ctx = new_md_ctx();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest_name(algorithm), nullptr, nullptr,
                              key.native(), nullptr) != 1) {
    fail("cannot start " + std::string(to_string(algorithm)) + " verification");
  }
  pin_padding(pctx, algorithm);
  const int result =
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), bytes_of(data), data.size());
  // A malformed signature leaves decoding errors queued; they are an answer, not a fault.
  if (result != 1) ERR_clear_error();
  return result == 1;
}

// ---- Certificate

Certificate::Certificate(X509Handle cert) noexcept : cert_(std::move(cert)) {
  assert(cert_ != nullptr);
}

Certificate Certificate::from_pem(std::string_view pem, std::string_view source_name) {
  const BioHandle bio = input_bio(pem, source_name);
  X509Handle cert(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!cert) fail("cannot parse certificate PEM from " + std::string(source_name));
  return Certificate(std::move(cert));
}

Certificate Certificate::load_pem_file(const std::filesystem::path& path) {
  return from_pem(read_pem_file(path), path.string());
}

std::string Certificate::to_pem() const {
  const BioHandle bio = output_bio();
  if (PEM_write_bio_X509(bio.get(), cert_.get()) != 1) fail("cannot write certificate PEM");
  return contents_of(bio.get());
}

std::string Certificate::subject() const {
  const BioHandle bio = output_bio();
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert_.get()), 0, XN_FLAG_RFC2253) < 0) {
    fail("cannot print certificate subject");
  }
  return contents_of(bio.get());
}

PublicKey Certificate::public_key() const {
  PkeyHandle pkey(X509_get_pubkey(cert_.get()));
  if (!pkey) fail("cannot read the certificate's public key");
  return PublicKey(std::move(pkey));
}

// ---- TrustStore

TrustStore::TrustStore(X509StoreHandle store) noexcept : store_(std::move(store)) {
  assert(store_ != nullptr);
}

TrustStore TrustStore::from_pem_bundle(std::string_view pem, std::string_view source_name) {
  const BioHandle bio = input_bio(pem, source_name);
  X509StoreHandle store(X509_STORE_new());
  if (!store) fail("cannot allocate a trust store");
  std::size_t count = 0;
  while (X509Handle cert{PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)}) {
    ++count;
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      fail("cannot add certificate " + std::to_string(count) + " from " + std::string(source_name));
    }
  }
  // Running out of input ends the loop with "no start line"; any other error is a bad block.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (!clean_end) {
    fail("cannot parse certificate " + std::to_string(count + 1) + " in PEM bundle from " +
         std::string(source_name));
  }
  ERR_clear_error();
  if (count == 0)
    throw CryptoError("no certificate in PEM bundle from " + std::string(source_name));
  return TrustStore(std::move(store));
}

TrustStore TrustStore::load_pem_file(const std::filesystem::path& path) {
  return from_pem_bundle(read_pem_file(path), path.string());
}

bool TrustStore::verify(const Certificate& leaf, std::string_view ip_or_host) const {
  return !verify_error(leaf, ip_or_host).has_value();
}

std::optional<std::string> TrustStore::verify_error(const Certificate& leaf,
                                                    std::string_view ip_or_host) const {
  // An embedded NUL would cut "127.0.0.1\0evil" short at the C string boundary.
  if (ip_or_host.empty() || ip_or_host.find('\0') != std::string_view::npos) {
    return "invalid host name or IP address";
  }
  const StoreCtxHandle ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.native(), nullptr) != 1) {
    fail("cannot set up certificate verification");
  }
  if (X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) != 1) {
    fail("cannot require the TLS server purpose");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  const std::string name(ip_or_host);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
    ERR_clear_error();  // not an IP literal, so match it as a DNS name
    if (X509_VERIFY_PARAM_set1_host(param, name.data(), name.size()) != 1) {
      ERR_clear_error();
      return "invalid host name: " + name;
    }
  }
  if (X509_verify_cert(ctx.get()) == 1) return std::nullopt;
  ERR_clear_error();
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

}  // namespace fusebox
