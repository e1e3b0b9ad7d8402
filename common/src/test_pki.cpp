#include "fusebox/common/test_pki.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace fusebox {
namespace {

// Backdating absorbs clock skew between the machine that issues and the one that verifies.
constexpr long kBackdateSeconds = 3600;
constexpr int kValidityDays = 30;
constexpr int kSerialBytes = 16;
// X.520's upper bound for a commonName.
constexpr std::size_t kMaxCommonNameBytes = 64;
// RFC 1035's limit on a full domain name in text form.
constexpr std::size_t kMaxDnsNameBytes = 253;

[[noreturn]] void fail(const std::string& what) {
  throw CryptoError(what + ": " + drain_openssl_errors());
}

void set_random_serial(X509* cert) {
  unsigned char bytes[kSerialBytes] = {};
  if (RAND_bytes(bytes, kSerialBytes) != 1) fail("cannot draw a certificate serial");
  const Owned<BIGNUM, BN_free> number(BN_bin2bn(bytes, kSerialBytes, nullptr));
  const Owned<ASN1_INTEGER, ASN1_INTEGER_free> serial(
      number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    fail("cannot set a certificate serial");
  }
}

void set_validity(X509* cert) {
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), kValidityDays, 0, nullptr) == nullptr) {
    fail("cannot set certificate validity");
  }
}

void set_common_name(X509* cert, std::string_view common_name) {
  if (common_name.empty() || common_name.size() > kMaxCommonNameBytes) {
    throw CryptoError("certificate common name must be 1.." + std::to_string(kMaxCommonNameBytes) +
                      " bytes: \"" + std::string(common_name) + "\"");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(common_name.data());
  if (X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8, bytes,
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    fail("cannot set certificate common name \"" + std::string(common_name) + "\"");
  }
}

// The fields every certificate here shares; `issuer` null means self-signed.
X509Handle new_certificate(std::string_view common_name, const PrivateKey& subject_key,
                           X509* issuer) {
  X509Handle cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("cannot create certificate");
  set_random_serial(cert.get());
  set_validity(cert.get());
  set_common_name(cert.get(), common_name);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1 ||
      X509_set_pubkey(cert.get(), subject_key.native()) != 1) {
    fail("cannot set certificate issuer and key");
  }
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context{};
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  const Owned<X509_EXTENSION, X509_EXTENSION_free> extension(
      X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    fail(std::string("cannot add certificate extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

// Takes ownership of `value` (an ASN1 string of the kind `type` needs).
void push_general_name(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  Owned<ASN1_STRING, ASN1_STRING_free> owned_value(value);
  Owned<GENERAL_NAME, GENERAL_NAME_free> name(GENERAL_NAME_new());
  if (!owned_value || !name) fail("cannot allocate a subjectAltName entry");
  GENERAL_NAME_set0_value(name.get(), type, owned_value.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) fail("cannot add a subjectAltName entry");
  static_cast<void>(name.release());
}

void push_ip_san(GENERAL_NAMES* names, const std::string& ip) {
  ASN1_OCTET_STRING* octets =
      ip.find('\0') == std::string::npos ? a2i_IPADDRESS(ip.c_str()) : nullptr;
  if (octets == nullptr) {
    ERR_clear_error();
    throw CryptoError("not an IP address for subjectAltName: \"" + ip + "\"");
  }
  push_general_name(names, GEN_IPADD, octets);
}

// Letters, digits, '-', '.', and '*' for wildcards; '_' appears in real service names.
bool is_dns_char(char c) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return alnum || c == '-' || c == '.' || c == '*' || c == '_';
}

void push_dns_san(GENERAL_NAMES* names, const std::string& dns) {
  const bool valid = !dns.empty() && dns.size() <= kMaxDnsNameBytes &&
                     std::all_of(dns.begin(), dns.end(), is_dns_char);
  if (!valid) throw CryptoError("not a DNS name for subjectAltName: \"" + dns + "\"");
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (text != nullptr && ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
    ASN1_IA5STRING_free(text);
    fail("cannot encode subjectAltName \"" + dns + "\"");
  }
  push_general_name(names, GEN_DNS, text);
}

// Built from GENERAL_NAMEs rather than an "IP:..,DNS:.." string so that no caller-supplied
// text is ever parsed as extension syntax.
void add_subject_alt_names(X509* cert, const std::vector<std::string>& ip_sans,
                           const std::vector<std::string>& dns_sans) {
  if (ip_sans.empty() && dns_sans.empty()) return;  // RFC 5280 forbids an empty SAN
  const Owned<GENERAL_NAMES, GENERAL_NAMES_free> names(GENERAL_NAMES_new());
  if (!names) fail("cannot allocate subjectAltName");
  for (const std::string& ip : ip_sans)
    push_ip_san(names.get(), ip);
  for (const std::string& dns : dns_sans)
    push_dns_san(names.get(), dns);
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    fail("cannot add subjectAltName");
  }
}

void sign_certificate(X509* cert, const PrivateKey& issuer_key) {
  // Ed25519 signs the message itself and takes no separate digest.
  const EVP_MD* digest =
      issuer_key.natural_algorithm() == SignatureAlgorithm::ed25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert, issuer_key.native(), digest) <= 0) fail("cannot sign certificate");
}

std::string errno_text() { return std::error_code(errno, std::system_category()).message(); }

// Owns a file descriptor so every error path closes it.
class OutputFile {
 public:
  explicit OutputFile(int fd) : fd_(fd) {}
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool close() { return ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_;
};

void write_all(int fd, std::string_view contents, const std::filesystem::path& path) {
  while (!contents.empty()) {
    const ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw CryptoError("cannot write " + path.string() + ": " + errno_text());
    contents.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Replaces `path` with a fresh file created with `mode`: opening an existing file would keep
// its old mode, and anyone who already had it open could read the new contents.
void write_file(const std::filesystem::path& path, std::string_view contents, mode_t mode) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw CryptoError("cannot replace " + path.string() + ": " + errno_text());
  }
  OutputFile file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (file.fd() < 0) throw CryptoError("cannot create " + path.string() + ": " + errno_text());
  // The umask may have narrowed `mode`; set it exactly.
  if (::fchmod(file.fd(), mode) != 0) {
    throw CryptoError("cannot set the mode of " + path.string() + ": " + errno_text());
  }
  write_all(file.fd(), contents, path);
  if (!file.close()) throw CryptoError("cannot close " + path.string() + ": " + errno_text());
}

}  // namespace

TestCa make_test_ca(std::string_view common_name) {
  PrivateKey key = PrivateKey::generate_ec_p256();
  X509Handle cert = new_certificate(common_name, key, nullptr);
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign_certificate(cert.get(), key);
  return TestCa{std::move(key), Certificate(std::move(cert))};
}

TestServerCert issue_server_cert(const TestCa& ca, std::string_view common_name,
                                 const std::vector<std::string>& ip_sans,
                                 const std::vector<std::string>& dns_sans) {
  X509* ca_cert = ca.cert.native();
  if (X509_check_private_key(ca_cert, ca.key.native()) != 1) {
    fail("the CA key does not belong to the CA certificate " + ca.cert.subject());
  }
  PrivateKey key = PrivateKey::generate_ec_p256();
  X509Handle cert = new_certificate(common_name, key, ca_cert);
  add_extension(cert.get(), ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca_cert, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca_cert, NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(cert.get(), ip_sans, dns_sans);
  sign_certificate(cert.get(), ca.key);
  return TestServerCert{std::move(key), Certificate(std::move(cert))};
}

void write_test_pki(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw CryptoError("cannot create directory " + dir.string() + ": " + error.message());
  const TestCa ca = make_test_ca("fusebox test CA");
  const TestServerCert server = issue_server_cert(ca, "localhost", {"127.0.0.1"}, {"localhost"});
  write_file(dir / "ca.pem", ca.cert.to_pem(), 0644);
  write_file(dir / "server.pem", server.cert.to_pem(), 0644);
  write_file(dir / "server.key", server.key.to_pem(), 0600);
}

}  // namespace fusebox
