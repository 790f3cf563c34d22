// Mutual TLS credentials of a webhook (SPEC §10), checked with OpenSSL before anything is stored: the client
// certificate and its key are PEM and belong together, a CA bundle holds at least one certificate. What the API
// shows of them: the certificate's SHA-256 fingerprint and expiry, never the key. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd {

struct TlsSummary {
  std::string fingerprint_sha256;  // of the client certificate's DER, lowercase hex; "" without one
  int64_t expires_at_ms = 0;       // its notAfter
  bool ca_certificates = false;    // a CA bundle verifies the endpoint instead of the system's trust store
};

// The problems of the PEM texts of a webhook's `tls`, each naming its field ("tls.client_key": "does not match
// tls.client_certificate"), or none. A key without a certificate (or the reverse) is a problem; all empty is none.
[[nodiscard]] std::vector<FieldError> CheckTlsCredentials(const std::string& client_certificate,
                                                          const std::string& client_key,
                                                          const std::string& ca_certificates);
// What the API shows of credentials CheckTlsCredentials accepted.
[[nodiscard]] TlsSummary SummarizeTls(const std::string& client_certificate, const std::string& ca_certificates);

}  // namespace hookd
