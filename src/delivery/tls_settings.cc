// OpenSSL reasons arrive packed in the error code's value (Asio's SSL category).
#include "delivery/tls_settings.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>

namespace hookd {

namespace ssl = boost::asio::ssl;

std::unique_ptr<ssl::context> MakeTlsContext(const WebhookTls* tls, std::string* error) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (!tls || tls->ca_certificates.empty()) {
    context->set_default_verify_paths(ec);
  } else {  // the webhook's CA bundle instead of the system's trust store
    context->add_certificate_authority(boost::asio::buffer(tls->ca_certificates), ec);
  }
  if (!ec && tls && !tls->client_certificate.empty()) {
    context->use_certificate_chain(boost::asio::buffer(tls->client_certificate), ec);
    if (!ec) context->use_private_key(boost::asio::buffer(tls->client_key), ssl::context::pem, ec);
  }
  if (ec) {
    if (error) *error = "the TLS settings do not load: " + ec.message();
    return nullptr;
  }
  return context;
}

bool ClientCertificateRefused(const boost::system::error_code& ec) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

std::string TlsErrorName(const boost::system::error_code& ec, bool own_settings) {
  if (ClientCertificateRefused(ec)) return "tls_client_cert_rejected";
  if (own_settings && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    return "tls_server_untrusted";
  }
  return "tls";
}

}  // namespace hookd
