// Proves the shared signing primitives: the canonical string is unambiguous and stable, and
// every scheme signs, verifies, and rejects a tampered message or a wrong key.
#include "fusebox/common/signing.hpp"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

TEST(CanonicalStringTest, SortsDropsEmptyAndSignatureFields) {
  const auto text = canonical_string({{"order_id", "o-1"},
                                      {"amount", "100"},
                                      {"sign", "xyz"},
                                      {"sign_type", "rsa-sha256"},
                                      {"memo", ""},
                                      {"Zeta", "z"}});
  EXPECT_EQ(text, "Zeta=z&amount=100&order_id=o-1") << "bytewise: uppercase sorts first";
}

TEST(CanonicalStringTest, DuplicateNamesAreAmbiguous) {
  EXPECT_EQ(canonical_string({{"a", "1"}, {"a", "2"}}), std::nullopt);
}

TEST(CanonicalStringTest, CustomExclusionsAndEmptyInput) {
  EXPECT_EQ(canonical_string({{"mac", "x"}, {"b", "2"}}, {"mac"}), "b=2");
  EXPECT_EQ(canonical_string({}), "");
}

TEST(SignSchemeTest, NamesRoundTrip) {
  for (const auto scheme : {SignScheme::none, SignScheme::hmac_sha256, SignScheme::rsa_sha256,
                            SignScheme::ecdsa_p256_sha256, SignScheme::ed25519}) {
    EXPECT_EQ(parse_sign_scheme(to_string(scheme)), scheme);
  }
  EXPECT_EQ(parse_sign_scheme("md5"), std::nullopt);
}

class SigningSchemeTest : public ::testing::TestWithParam<SignScheme> {
 protected:
  static PrivateKey key_for(SignScheme scheme) {
    switch (scheme) {
      case SignScheme::rsa_sha256:
        return PrivateKey::generate_rsa(2048);
      case SignScheme::ecdsa_p256_sha256:
        return PrivateKey::generate_ec_p256();
      default:
        return PrivateKey::generate_ed25519();
    }
  }
  static std::pair<MessageSigner, MessageVerifier> pair_for(SignScheme scheme) {
    if (scheme == SignScheme::hmac_sha256) {
      return {MessageSigner::hmac("shared secret"), MessageVerifier::hmac("shared secret")};
    }
    PrivateKey key = key_for(scheme);
    PublicKey pub = key.public_key();
    return {MessageSigner::asymmetric(std::move(key), scheme),
            MessageVerifier::asymmetric(std::move(pub), scheme)};
  }
};

TEST_P(SigningSchemeTest, SignsVerifiesAndDetectsTampering) {
  const auto [signer, verifier] = pair_for(GetParam());
  const std::string message = "amount=100&currency=CNY&order_id=o-1";
  const std::string signature = signer.sign(message);
  EXPECT_FALSE(signature.empty());
  EXPECT_TRUE(verifier.verify(message, signature));
  EXPECT_FALSE(verifier.verify("amount=101&currency=CNY&order_id=o-1", signature));
  EXPECT_FALSE(verifier.verify(message, ""));
  EXPECT_FALSE(verifier.verify(message, "not base64 at all!"));
  std::string flipped = signature;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifier.verify(message, flipped));
}

TEST_P(SigningSchemeTest, AnotherKeyDoesNotVerify) {
  const auto [signer, verifier_a] = pair_for(GetParam());
  const auto [other_signer, verifier_b] = pair_for(GetParam());
  const std::string signature = signer.sign("m");
  if (GetParam() == SignScheme::hmac_sha256) {
    EXPECT_FALSE(MessageVerifier::hmac("another secret").verify("m", signature));
  } else {
    EXPECT_FALSE(verifier_b.verify("m", signature));
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, SigningSchemeTest,
                         ::testing::Values(SignScheme::hmac_sha256, SignScheme::rsa_sha256,
                                           SignScheme::ecdsa_p256_sha256, SignScheme::ed25519),
                         [](const auto& param_info) {
                           std::string name(to_string(param_info.param));
                           for (char& c : name)
                             c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(SigningTest, NoneSignsNothingAndAcceptsAnything) {
  EXPECT_EQ(MessageSigner::none().sign("m"), "");
  EXPECT_TRUE(MessageVerifier::none().verify("m", ""));
}

TEST(SigningTest, AKeyOfTheWrongTypeCannotSign) {
  EXPECT_THROW(
      (void)MessageSigner::asymmetric(PrivateKey::generate_ed25519(), SignScheme::rsa_sha256),
      CryptoError);
  EXPECT_THROW(
      (void)MessageSigner::asymmetric(PrivateKey::generate_ed25519(), SignScheme::hmac_sha256),
      CryptoError);
}

}  // namespace
}  // namespace fusebox
