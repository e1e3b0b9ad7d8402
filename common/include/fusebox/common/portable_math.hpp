#pragma once
// exp, log and pow written with IEEE-754 +, -, *, / and sqrt only (each correctly rounded
// on every conforming platform), so a seeded draw gives the same bits whatever libm the
// build links: glibc, musl and Apple's libm all round exp and log differently. Accuracy is
// within 2 ulp; speed is on par with glibc. Requires the default rounding mode and
// -ffp-contract=off (fusebox_determinism).

namespace fusebox::portable {

// e^x. +inf above 709.78, 0 below -745.13, NaN for NaN.
[[nodiscard]] double exp(double x);
// Natural logarithm. -inf for 0, NaN for negatives and NaN, +inf for +inf.
[[nodiscard]] double log(double x);
// base^exponent for base > 0, as exp(exponent * log(base)).
[[nodiscard]] double pow(double base, double exponent);

}  // namespace fusebox::portable
