// PEM through OpenSSL's BIO readers; a bundle is read certificate by certificate until it ends.
#include "crypto/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "crypto/encoding.h"

namespace hookd {
namespace {

constexpr size_t kMaxPemBytes = 64 * 1024;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio Open(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

Cert FirstCertificate(const std::string& pem) {
  Bio bio = Open(pem);
  return Cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
}

Key PrivateKey(const std::string& pem) {
  Bio bio = Open(pem);
  static char kNoPassphrase[] = "";  // an encrypted key is refused, not prompted for
  return Key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, kNoPassphrase) : nullptr, &EVP_PKEY_free);
}

int CertificateCount(const std::string& pem) {
  Bio bio = Open(pem);
  int count = 0;
  while (bio) {
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) break;
    ++count;
  }
  ERR_clear_error();  // the end of the bundle reads as an error
  return count;
}

}  // namespace

std::vector<FieldError> CheckTlsCredentials(const std::string& client_certificate, const std::string& client_key,
                                            const std::string& ca_certificates) {
  std::vector<FieldError> problems;
  for (const auto& [field, text] :
       {std::pair{"tls.client_certificate", &client_certificate}, std::pair{"tls.client_key", &client_key},
        std::pair{"tls.ca_certificates", &ca_certificates}}) {
    if (text->size() > kMaxPemBytes) problems.push_back({field, "must be at most 64 KiB of PEM"});
  }
  if (!problems.empty()) return problems;
  if (client_certificate.empty() != client_key.empty()) {
    problems.push_back({client_key.empty() ? "tls.client_key" : "tls.client_certificate",
                        "a client certificate and its key go together"});
  } else if (!client_certificate.empty()) {
    Cert cert = FirstCertificate(client_certificate);
    Key key = PrivateKey(client_key);
    if (!cert) problems.push_back({"tls.client_certificate", "is not a PEM certificate"});
    if (!key) problems.push_back({"tls.client_key", "is not an unencrypted PEM private key"});
    if (cert && key && X509_check_private_key(cert.get(), key.get()) != 1) {
      problems.push_back({"tls.client_key", "does not match tls.client_certificate"});
    }
  }
  if (!ca_certificates.empty() && CertificateCount(ca_certificates) == 0) {
    problems.push_back({"tls.ca_certificates", "holds no PEM certificate"});
  }
  ERR_clear_error();
  return problems;
}

TlsSummary SummarizeTls(const std::string& client_certificate, const std::string& ca_certificates) {
  TlsSummary summary;
  summary.ca_certificates = !ca_certificates.empty();
  Cert cert = FirstCertificate(client_certificate);
  if (!cert) return summary;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &len) == 1) {
    summary.fingerprint_sha256 = HexEncode(std::string_view(reinterpret_cast<char*>(digest), len));
  }
  struct tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &when) == 1) {
    summary.expires_at_ms = static_cast<int64_t>(timegm(&when)) * 1000;
  }
  return summary;
}

}  // namespace hookd
