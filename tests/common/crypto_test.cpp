// Proves hashes and MACs match their RFC vectors, signatures verify only when untouched and
// under the right key and algorithm, bad input fails with a named error, and the test PKI
// yields a server certificate that verifies for exactly its own names and CA.
#include "fusebox/common/crypto.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fusebox/common/codec.hpp"
#include "fusebox/common/test_pki.hpp"

namespace fusebox {
namespace {

namespace fs = std::filesystem;

// Shaped like the canonical request string a channel signs (~200 bytes).
constexpr std::string_view kMessage =
    "POST\n/v1/payments/authorize\ncontent-type:application/json\n"
    "date:2024-06-11T12:00:00Z\nidempotency-key:7f3c9a51-2b8e-4d0f-9c61-5a2e8b7d4f10\n"
    "digest:sha-256=3q2+7w==\namount_minor:125000;currency:EUR";

constexpr SignatureAlgorithm kAllAlgorithms[] = {SignatureAlgorithm::rsa_sha256,
                                                 SignatureAlgorithm::ecdsa_p256_sha256,
                                                 SignatureAlgorithm::ed25519};

std::string hex(std::span<const std::uint8_t> bytes) { return hex_encode(bytes); }

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Returns the CryptoError message `action` throws, so tests can check what it names.
template <class Action>
std::string crypto_error_of(Action action) {
  try {
    action();
  } catch (const CryptoError& error) {
    return error.what();
  }
  return "<no CryptoError thrown>";
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

PrivateKey generate(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_sha256:
      return PrivateKey::generate_rsa(2048);
    case SignatureAlgorithm::ecdsa_p256_sha256:
      return PrivateKey::generate_ec_p256();
    case SignatureAlgorithm::ed25519:
      return PrivateKey::generate_ed25519();
  }
  throw std::logic_error("unknown algorithm");
}

struct KeyPair {
  PrivateKey signer;
  PrivateKey stranger;  // same type, different key
};

// RSA keygen costs ~100 ms, so each key is made once per test binary, on first use.
const KeyPair& keys_for(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_sha256: {
      static const KeyPair rsa{generate(algorithm), generate(algorithm)};
      return rsa;
    }
    case SignatureAlgorithm::ecdsa_p256_sha256: {
      static const KeyPair ec{generate(algorithm), generate(algorithm)};
      return ec;
    }
    case SignatureAlgorithm::ed25519: {
      static const KeyPair ed{generate(algorithm), generate(algorithm)};
      return ed;
    }
  }
  throw std::logic_error("unknown algorithm");
}

// ---- Hashes and MACs

TEST(CryptoHashTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoHashTest, HmacSha256MatchesRfc4231Case1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(hex(hmac_sha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(CryptoHashTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHashTest, HmacSha256MatchesRfc4231Case7) {
  const std::string key(131, '\xaa');
  const std::string data =
      "This is a test using a larger than block-size key and a larger than block-size data. "
      "The key needs to be hashed before being used by the HMAC algorithm.";
  EXPECT_EQ(hex(hmac_sha256(key, data)),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(CryptoHashTest, HmacSha256AcceptsEmptyKeyAndData) {
  EXPECT_EQ(hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoConstantTimeEqualTest, ComparesContentAndLength) {
  const std::vector<std::uint8_t> a{1, 2, 3, 4};
  const std::vector<std::uint8_t> same{1, 2, 3, 4};
  const std::vector<std::uint8_t> last_differs{1, 2, 3, 5};
  const std::vector<std::uint8_t> prefix{1, 2, 3};
  const std::vector<std::uint8_t> empty;
  EXPECT_TRUE(constant_time_equal(a, same));
  EXPECT_FALSE(constant_time_equal(a, last_differs));
  EXPECT_FALSE(constant_time_equal(a, prefix));
  EXPECT_FALSE(constant_time_equal(prefix, a));
  EXPECT_FALSE(constant_time_equal(a, empty));
  EXPECT_TRUE(constant_time_equal(empty, empty));
}

TEST(CryptoAlgorithmNameTest, RoundTripsWireNames) {
  EXPECT_EQ(to_string(SignatureAlgorithm::rsa_sha256), "rsa-sha256");
  EXPECT_EQ(to_string(SignatureAlgorithm::ecdsa_p256_sha256), "ecdsa-p256-sha256");
  EXPECT_EQ(to_string(SignatureAlgorithm::ed25519), "ed25519");
  for (const SignatureAlgorithm algorithm : kAllAlgorithms) {
    EXPECT_EQ(parse_signature_algorithm(to_string(algorithm)), algorithm);
  }
}

TEST(CryptoAlgorithmNameTest, RejectsUnknownNames) {
  for (const std::string_view name : {"", "RSA-SHA256", "rsa-sha1", "ecdsa", "ed448", "hmac"}) {
    EXPECT_EQ(parse_signature_algorithm(name), std::nullopt) << name;
  }
}

// ---- Signatures, for every algorithm

class CryptoSignatureTest : public ::testing::TestWithParam<SignatureAlgorithm> {
 protected:
  [[nodiscard]] const PrivateKey& signer() const { return keys_for(GetParam()).signer; }
  [[nodiscard]] const PrivateKey& stranger() const { return keys_for(GetParam()).stranger; }
};

TEST_P(CryptoSignatureTest, SignatureVerifiesUnderTheSignersPublicKey) {
  EXPECT_EQ(signer().natural_algorithm(), GetParam());
  EXPECT_EQ(signer().public_key().natural_algorithm(), GetParam());
  const Bytes signature = sign(signer(), GetParam(), kMessage);
  EXPECT_TRUE(verify(signer().public_key(), GetParam(), kMessage, signature));
  const Bytes empty_message_signature = sign(signer(), GetParam(), "");
  EXPECT_TRUE(verify(signer().public_key(), GetParam(), "", empty_message_signature));
}

TEST_P(CryptoSignatureTest, TamperedDataFailsVerification) {
  const Bytes signature = sign(signer(), GetParam(), kMessage);
  std::string tampered(kMessage);
  tampered[tampered.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify(signer().public_key(), GetParam(), tampered, signature));
  EXPECT_FALSE(verify(signer().public_key(), GetParam(), kMessage.substr(1), signature));
}

TEST_P(CryptoSignatureTest, TamperedSignatureFailsVerification) {
  const Bytes signature = sign(signer(), GetParam(), kMessage);
  for (const std::size_t index : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    Bytes tampered = signature;
    tampered[index] ^= 0x01;
    EXPECT_FALSE(verify(signer().public_key(), GetParam(), kMessage, tampered)) << index;
  }
  const Bytes truncated(signature.begin(), signature.end() - 1);
  EXPECT_FALSE(verify(signer().public_key(), GetParam(), kMessage, truncated));
  EXPECT_FALSE(verify(signer().public_key(), GetParam(), kMessage, Bytes{}));
  EXPECT_FALSE(verify(signer().public_key(), GetParam(), kMessage, bytes_of("garbage")));
  // A rejected signature is an answer, not an error: nothing may linger in OpenSSL's queue.
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_P(CryptoSignatureTest, OtherKeyFailsVerification) {
  const Bytes signature = sign(signer(), GetParam(), kMessage);
  EXPECT_FALSE(verify(stranger().public_key(), GetParam(), kMessage, signature));
}

TEST_P(CryptoSignatureTest, MismatchedAlgorithmThrowsOnSignAndFailsVerify) {
  const Bytes signature = sign(signer(), GetParam(), kMessage);
  for (const SignatureAlgorithm other : kAllAlgorithms) {
    if (other == GetParam()) continue;
    const std::string error =
        crypto_error_of([&] { static_cast<void>(sign(signer(), other, kMessage)); });
    EXPECT_TRUE(contains(error, to_string(other))) << error;
    EXPECT_FALSE(verify(signer().public_key(), other, kMessage, signature));
  }
}

TEST_P(CryptoSignatureTest, KeysSurvivePemRoundTrip) {
  const PrivateKey reloaded = PrivateKey::from_pem(signer().to_pem(), "round trip");
  EXPECT_EQ(reloaded.to_pem(), signer().to_pem());
  EXPECT_TRUE(contains(signer().to_pem(), "-----BEGIN PRIVATE KEY-----"));
  const std::string public_pem = signer().public_key().to_pem();
  EXPECT_TRUE(contains(public_pem, "-----BEGIN PUBLIC KEY-----"));
  EXPECT_FALSE(contains(public_pem, "PRIVATE"));
  const PublicKey public_key = PublicKey::from_pem(public_pem, "round trip");
  EXPECT_EQ(public_key.to_pem(), public_pem);
  EXPECT_TRUE(verify(public_key, GetParam(), kMessage, sign(reloaded, GetParam(), kMessage)));
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

// Test names allow only letters, digits and '_'.
std::string algorithm_test_name(const ::testing::TestParamInfo<SignatureAlgorithm>& param_info) {
  std::string name(to_string(param_info.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(CryptoAllAlgorithms, CryptoSignatureTest,
                         ::testing::ValuesIn(kAllAlgorithms), algorithm_test_name);

// ---- Key details and hostile input

TEST(CryptoKeyTest, SignatureSizesMatchTheAlgorithms) {
  const auto& rsa = keys_for(SignatureAlgorithm::rsa_sha256).signer;
  const Bytes rsa_signature = sign(rsa, SignatureAlgorithm::rsa_sha256, kMessage);
  EXPECT_EQ(rsa_signature.size(), 256U);
  // PKCS#1 v1.5 is deterministic; PSS would differ on every call.
  EXPECT_EQ(sign(rsa, SignatureAlgorithm::rsa_sha256, kMessage), rsa_signature);
  const auto& ed = keys_for(SignatureAlgorithm::ed25519).signer;
  EXPECT_EQ(sign(ed, SignatureAlgorithm::ed25519, kMessage).size(), 64U);
  const auto& ec = keys_for(SignatureAlgorithm::ecdsa_p256_sha256).signer;
  const Bytes ec_signature = sign(ec, SignatureAlgorithm::ecdsa_p256_sha256, kMessage);
  EXPECT_LE(ec_signature.size(), 72U);
  EXPECT_EQ(ec_signature.front(), 0x30);  // a DER SEQUENCE, not raw r||s
}

TEST(CryptoKeyTest, RejectsWeakRsaKeySize) {
  EXPECT_TRUE(
      contains(crypto_error_of([] { static_cast<void>(PrivateKey::generate_rsa(1024)); }), "1024"));
}

TEST(CryptoKeyTest, UnsupportedKeyTypeNeitherSignsNorVerifies) {
  PkeyHandle p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_NE(p384, nullptr);
  const PrivateKey key(std::move(p384));
  EXPECT_TRUE(contains(crypto_error_of([&] { static_cast<void>(key.natural_algorithm()); }), "EC"));
  EXPECT_THROW(static_cast<void>(sign(key, SignatureAlgorithm::ecdsa_p256_sha256, kMessage)),
               CryptoError);
  const Bytes p256_signature = sign(keys_for(SignatureAlgorithm::ecdsa_p256_sha256).signer,
                                    SignatureAlgorithm::ecdsa_p256_sha256, kMessage);
  EXPECT_FALSE(
      verify(key.public_key(), SignatureAlgorithm::ecdsa_p256_sha256, kMessage, p256_signature));
}

TEST(CryptoPemTest, MalformedPemNamesItsSource) {
  const std::string_view source = "config/keys/channel-a.pem";
  const std::string valid = keys_for(SignatureAlgorithm::ed25519).signer.to_pem();
  std::string corrupt_body = valid;
  corrupt_body[valid.size() / 2] = '!';
  for (const std::string_view pem :
       {std::string_view(""), std::string_view("not a key"), std::string_view(corrupt_body),
        std::string_view(valid).substr(0, valid.size() / 2)}) {
    const std::string error =
        crypto_error_of([&] { static_cast<void>(PrivateKey::from_pem(pem, source)); });
    EXPECT_TRUE(contains(error, source)) << error;
    EXPECT_TRUE(contains(error, "private key")) << error;
    EXPECT_EQ(ERR_peek_error(), 0UL);
  }
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(PublicKey::from_pem("junk", source)); }), source));
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(Certificate::from_pem(valid, source)); }), source));
}

TEST(CryptoPemTest, KeyOfTheWrongKindIsRejected) {
  const PrivateKey& key = keys_for(SignatureAlgorithm::ecdsa_p256_sha256).signer;
  const std::string public_pem = key.public_key().to_pem();
  EXPECT_THROW(static_cast<void>(PrivateKey::from_pem(public_pem, "public.pem")), CryptoError);
  EXPECT_THROW(static_cast<void>(PublicKey::from_pem(key.to_pem(), "private.pem")), CryptoError);
}

TEST(CryptoPemTest, EncryptedKeyIsRejectedWithoutPrompting) {
  const PrivateKey& key = keys_for(SignatureAlgorithm::ecdsa_p256_sha256).signer;
  const std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  ASSERT_NE(bio, nullptr);
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.native(), EVP_aes_256_cbc(), "secret", 6,
                                          nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  const std::string encrypted(data, static_cast<std::size_t>(size));
  ASSERT_TRUE(contains(encrypted, "ENCRYPTED"));
  const std::string error =
      crypto_error_of([&] { static_cast<void>(PrivateKey::from_pem(encrypted, "enc.pem")); });
  EXPECT_TRUE(contains(error, "enc.pem")) << error;
}

TEST(CryptoPemTest, MissingFileNamesThePath) {
  const fs::path missing = fs::path(::testing::TempDir()) / "fusebox-no-such-file.pem";
  const std::string path = missing.string();
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(PrivateKey::load_pem_file(missing)); }), path));
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(PublicKey::load_pem_file(missing)); }), path));
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(Certificate::load_pem_file(missing)); }), path));
  EXPECT_TRUE(contains(
      crypto_error_of([&] { static_cast<void>(TrustStore::load_pem_file(missing)); }), path));
}

// ---- Test PKI

struct SharedPki {
  TestCa ca;
  TestServerCert server;
  TestCa other_ca;
};

const SharedPki& shared_pki() {
  static const SharedPki pki = [] {
    TestCa ca = make_test_ca("fusebox unit test CA");
    TestServerCert server = issue_server_cert(ca, "localhost", {"127.0.0.1"}, {"localhost"});
    return SharedPki{std::move(ca), std::move(server), make_test_ca("fusebox other CA")};
  }();
  return pki;
}

TrustStore store_of(const Certificate& cert) {
  return TrustStore::from_pem_bundle(cert.to_pem(), "test CA");
}

TEST(TestPkiTest, ServerCertVerifiesForItsAddressAndName) {
  const SharedPki& pki = shared_pki();
  const TrustStore store = store_of(pki.ca.cert);
  EXPECT_EQ(store.verify_error(pki.server.cert, "127.0.0.1"), std::nullopt);
  EXPECT_TRUE(store.verify(pki.server.cert, "127.0.0.1"));
  EXPECT_TRUE(store.verify(pki.server.cert, "localhost"));
}

TEST(TestPkiTest, ServerCertFailsForOtherAddressesAndNames) {
  const SharedPki& pki = shared_pki();
  const TrustStore store = store_of(pki.ca.cert);
  for (const std::string_view name :
       {"10.0.0.1", "127.0.0.2", "::1", "example.com", "localhost.evil", ""}) {
    EXPECT_FALSE(store.verify(pki.server.cert, name)) << name;
  }
  EXPECT_FALSE(store.verify(pki.server.cert, std::string_view("127.0.0.1\0x", 11)));
  const std::optional<std::string> error = store.verify_error(pki.server.cert, "10.0.0.1");
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(contains(*error, "IP address mismatch")) << *error;
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST(TestPkiTest, ServerCertFailsAgainstAnotherCa) {
  const SharedPki& pki = shared_pki();
  const TrustStore store = store_of(pki.other_ca.cert);
  EXPECT_FALSE(store.verify(pki.server.cert, "127.0.0.1"));
  const std::optional<std::string> error = store.verify_error(pki.server.cert, "127.0.0.1");
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(contains(*error, "issuer")) << *error;
}

TEST(TestPkiTest, CaCertIsNotAServerCert) {
  const SharedPki& pki = shared_pki();
  EXPECT_FALSE(store_of(pki.ca.cert).verify(pki.ca.cert, "127.0.0.1"));
}

TEST(TestPkiTest, BundleTrustsEveryCertificateInIt) {
  const SharedPki& pki = shared_pki();
  const std::string bundle = pki.other_ca.cert.to_pem() + "\n" + pki.ca.cert.to_pem();
  EXPECT_TRUE(TrustStore::from_pem_bundle(bundle, "bundle").verify(pki.server.cert, "localhost"));
}

TEST(TestPkiTest, BadBundleNamesSourceAndCertificate) {
  const SharedPki& pki = shared_pki();
  const std::string first = pki.other_ca.cert.to_pem();
  std::string second = pki.ca.cert.to_pem();
  second[second.size() / 2] = '!';
  const std::string error = crypto_error_of(
      [&] { static_cast<void>(TrustStore::from_pem_bundle(first + second, "ca-bundle.pem")); });
  EXPECT_TRUE(contains(error, "ca-bundle.pem")) << error;
  EXPECT_TRUE(contains(error, "certificate 2")) << error;
  for (const std::string_view empty : {"", "no certificates here\n"}) {
    const std::string message = crypto_error_of(
        [&] { static_cast<void>(TrustStore::from_pem_bundle(empty, "empty.pem")); });
    EXPECT_TRUE(contains(message, "no certificate in PEM bundle from empty.pem")) << message;
  }
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST(TestPkiTest, CertificatesCarryNamesAndKeys) {
  const SharedPki& pki = shared_pki();
  EXPECT_EQ(pki.ca.cert.subject(), "CN=fusebox unit test CA");
  EXPECT_EQ(pki.server.cert.subject(), "CN=localhost");
  const Certificate reloaded = Certificate::from_pem(pki.server.cert.to_pem(), "server.pem");
  EXPECT_EQ(reloaded.to_pem(), pki.server.cert.to_pem());
  EXPECT_EQ(reloaded.public_key().to_pem(), pki.server.key.public_key().to_pem());
  const Bytes signature = sign(pki.server.key, SignatureAlgorithm::ecdsa_p256_sha256, kMessage);
  EXPECT_TRUE(
      verify(reloaded.public_key(), SignatureAlgorithm::ecdsa_p256_sha256, kMessage, signature));
}

TEST(TestPkiTest, RejectsMalformedSubjectAltNames) {
  const TestCa& ca = shared_pki().ca;
  EXPECT_THROW(static_cast<void>(issue_server_cert(ca, "x", {"not-an-ip"}, {})), CryptoError);
  EXPECT_THROW(static_cast<void>(issue_server_cert(ca, "x", {"300.1.1.1"}, {})), CryptoError);
  EXPECT_THROW(static_cast<void>(issue_server_cert(ca, "x", {}, {"two words"})), CryptoError);
  EXPECT_THROW(static_cast<void>(issue_server_cert(ca, "x", {}, {""})), CryptoError);
  EXPECT_THROW(static_cast<void>(issue_server_cert(ca, "", {"127.0.0.1"}, {})), CryptoError);
}

class TestPkiFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("fusebox-test-pki-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(TestPkiFilesTest, WritesFilesThatReloadAndVerify) {
  write_test_pki(dir_ / "pki");
  const TrustStore store = TrustStore::load_pem_file(dir_ / "pki" / "ca.pem");
  const Certificate server = Certificate::load_pem_file(dir_ / "pki" / "server.pem");
  const PrivateKey key = PrivateKey::load_pem_file(dir_ / "pki" / "server.key");
  EXPECT_TRUE(store.verify(server, "127.0.0.1"));
  EXPECT_TRUE(store.verify(server, "localhost"));
  EXPECT_FALSE(store.verify(server, "10.0.0.1"));
  EXPECT_EQ(server.public_key().to_pem(), key.public_key().to_pem());
  EXPECT_EQ(fs::status(dir_ / "pki" / "server.key").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_F(TestPkiFilesTest, ReplacesAWorldReadableKeyWithA0600One) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "server.key") << "old";
  fs::permissions(dir_ / "server.key", fs::perms::all);
  write_test_pki(dir_);
  EXPECT_EQ(fs::status(dir_ / "server.key").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NO_THROW(static_cast<void>(PrivateKey::load_pem_file(dir_ / "server.key")));
}

TEST_F(TestPkiFilesTest, UnwritableDirectoryNamesThePath) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "a-file") << "not a directory";
  const fs::path target = dir_ / "a-file" / "pki";
  const std::string error = crypto_error_of([&] { write_test_pki(target); });
  EXPECT_TRUE(contains(error, target.string())) << error;
}

}  // namespace
}  // namespace fusebox
