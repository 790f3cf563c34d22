// TLS of outbound connections: the contexts they are made with (TLS >= 1.2, the peer verified; for a webhook with
// TLS settings of its own (SPEC §10), its CA bundle instead of the system's trust store and its client certificate),
// and the names of TLS failures in an attempt's error.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "domain/model.h"

namespace hookd {

// A client context: the system's trust store when `tls` is null, else the webhook's settings. Null, with `error`
// set, when those do not load (the API checked them, so only a store edited behind its back gets here).
[[nodiscard]] std::unique_ptr<boost::asio::ssl::context> MakeTlsContext(const WebhookTls* tls, std::string* error);

// Whether a TLS error is the endpoint refusing the client's certificate, or the lack of one (its alert).
[[nodiscard]] bool ClientCertificateRefused(const boost::system::error_code& ec);
// The attempt's error for a TLS failure: "tls_client_cert_rejected", "tls_server_untrusted" (only for a webhook
// with TLS settings of its own, `own_settings`), else "tls".
[[nodiscard]] std::string TlsErrorName(const boost::system::error_code& ec, bool own_settings);

}  // namespace hookd
