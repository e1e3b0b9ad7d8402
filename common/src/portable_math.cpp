#include "fusebox/common/portable_math.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace fusebox::portable {

namespace {

// 2^(j/64) for j = 0..63, each correctly rounded (computed to 60 digits, then rounded once).
constexpr std::array<double, 64> kExp2Table{
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0};

constexpr double kInvLn2Over64 = 0x1.71547652b82fep+6;  // 64 / ln 2
// ln(2)/64 split so that k * kLn2Over64Hi is exact for |k| < 2^20 (Cody and Waite).
constexpr double kLn2Over64Hi = 0x1.62e42fef00000p-7;
constexpr double kLn2Over64Lo = 0x1.473de6af278edp-40;
constexpr double kLn2Hi = 0x1.62e42fef00000p-1;
constexpr double kLn2Lo = 0x1.473de6af278edp-34;
// Adding this rounds a double of magnitude < 2^51 to an integer in the low mantissa bits.
constexpr double kRoundingShift = 0x1.8p52;
constexpr double kSqrtHalf = 0x1.6a09e667f3bcdp-1;

// 2^e for e in [-1022, 1023], built directly in the exponent field.
double power_of_two(std::int64_t e) {
  return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
}

}  // namespace

double exp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.1332191019412) return 0.0;
  // x = (64 * m + j) * ln2/64 + r with |r| <= ln2/128; e^x = 2^m * 2^(j/64) * e^r.
  const double shifted = x * kInvLn2Over64 + kRoundingShift;
  const auto k = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(shifted) << 13) >> 13;
  const double kd = shifted - kRoundingShift;
  const double r = (x - kd * kLn2Over64Hi) - kd * kLn2Over64Lo;
  // e^r - 1 by Taylor to r^5: the remainder r^6/720 is below 2^-57 for |r| <= ln2/128.
  const double poly = r + r * r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0))));
  const double t = kExp2Table[static_cast<std::size_t>(k & 63)];
  const double mantissa = t + t * poly;
  const std::int64_t m = k >> 6;  // arithmetic shift: floor division by 64
  if (m < -1021) return mantissa * power_of_two(m + 1000) * 0x1p-1000;  // subnormal result
  return mantissa * power_of_two(m);  // m <= 1023, since x <= 709.78
}

double log(double x) {
  if (std::isnan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  std::int64_t e = 0;
  if (x < std::numeric_limits<double>::min()) {  // subnormal: scale into the normal range
    x *= 0x1p54;
    e = -54;
  }
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  e += static_cast<std::int64_t>(bits >> 52) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 2 * kSqrtHalf) {  // keep m in [sqrt(1/2), sqrt(2)) so |s| <= 0.1716
    m *= 0.5;
    ++e;
  }
  // ln(m) = 2 atanh(s) with s = (m - 1) / (m + 1): s + s^3/3 + ... to s^21 (rest < 2^-56).
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double series =
      s2 *
      (1.0 / 3 +
       s2 *
           (1.0 / 5 +
            s2 * (1.0 / 7 +
                  s2 * (1.0 / 9 + s2 * (1.0 / 11 +
                                        s2 * (1.0 / 13 +
                                              s2 * (1.0 / 15 +
                                                    s2 * (1.0 / 17 +
                                                          s2 * (1.0 / 19 + s2 * (1.0 / 21))))))))));
  const double ln_m = 2.0 * s + 2.0 * s * series;
  const auto ed = static_cast<double>(e);
  return ed * kLn2Hi + (ln_m + ed * kLn2Lo);
}

double pow(double base, double exponent) { return exp(exponent * log(base)); }

}  // namespace fusebox::portable
