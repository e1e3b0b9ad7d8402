// Cost of the signatures and MACs a simulated channel computes per request, so a scenario's
// request rate can be checked against what one core can sign and verify.
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "fusebox/common/crypto.hpp"

namespace fusebox {
namespace {

// Shaped like the canonical request string a channel signs (~200 bytes).
constexpr std::string_view kCanonicalRequest =
    "POST\n/v1/payments/authorize\ncontent-type:application/json\n"
    "date:2024-06-11T12:00:00Z\nidempotency-key:7f3c9a51-2b8e-4d0f-9c61-5a2e8b7d4f10\n"
    "digest:sha-256=3q2+7w==\namount_minor:125000;currency:EUR";

// Keys are made once, outside the timed loops.
const PrivateKey& rsa2048_key() {
  static const PrivateKey key = PrivateKey::generate_rsa(2048);
  return key;
}

const PrivateKey& rsa3072_key() {
  static const PrivateKey key = PrivateKey::generate_rsa(3072);
  return key;
}

const PrivateKey& p256_key() {
  static const PrivateKey key = PrivateKey::generate_ec_p256();
  return key;
}

const PrivateKey& ed25519_key() {
  static const PrivateKey key = PrivateKey::generate_ed25519();
  return key;
}

void run_sign(benchmark::State& state, const PrivateKey& key, SignatureAlgorithm algorithm) {
  for ([[maybe_unused]] auto _ : state) {
    Bytes signature = sign(key, algorithm, kCanonicalRequest);
    benchmark::DoNotOptimize(signature.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void run_verify(benchmark::State& state, const PrivateKey& key, SignatureAlgorithm algorithm) {
  const PublicKey public_key = key.public_key();
  const Bytes signature = sign(key, algorithm, kCanonicalRequest);
  for ([[maybe_unused]] auto _ : state) {
    const bool valid = verify(public_key, algorithm, kCanonicalRequest, signature);
    if (!valid) state.SkipWithError("signature did not verify");
    benchmark::DoNotOptimize(valid);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CryptoRsa2048Sign(benchmark::State& state) {
  run_sign(state, rsa2048_key(), SignatureAlgorithm::rsa_sha256);
}
BENCHMARK(BM_CryptoRsa2048Sign);

void BM_CryptoRsa2048Verify(benchmark::State& state) {
  run_verify(state, rsa2048_key(), SignatureAlgorithm::rsa_sha256);
}
BENCHMARK(BM_CryptoRsa2048Verify);

void BM_CryptoRsa3072Sign(benchmark::State& state) {
  run_sign(state, rsa3072_key(), SignatureAlgorithm::rsa_sha256);
}
BENCHMARK(BM_CryptoRsa3072Sign);

void BM_CryptoEcdsaP256Sign(benchmark::State& state) {
  run_sign(state, p256_key(), SignatureAlgorithm::ecdsa_p256_sha256);
}
BENCHMARK(BM_CryptoEcdsaP256Sign);

void BM_CryptoEcdsaP256Verify(benchmark::State& state) {
  run_verify(state, p256_key(), SignatureAlgorithm::ecdsa_p256_sha256);
}
BENCHMARK(BM_CryptoEcdsaP256Verify);

void BM_CryptoEd25519Sign(benchmark::State& state) {
  run_sign(state, ed25519_key(), SignatureAlgorithm::ed25519);
}
BENCHMARK(BM_CryptoEd25519Sign);

void BM_CryptoEd25519Verify(benchmark::State& state) {
  run_verify(state, ed25519_key(), SignatureAlgorithm::ed25519);
}
BENCHMARK(BM_CryptoEd25519Verify);

void BM_CryptoHmacSha256(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string message(256, 'm');
  for ([[maybe_unused]] auto _ : state) {
    Sha256Digest mac = hmac_sha256(key, message);
    benchmark::DoNotOptimize(mac.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(BM_CryptoHmacSha256);

}  // namespace
}  // namespace fusebox
