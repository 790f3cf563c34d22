// Builds the exact HTTP request of one delivery attempt (SPEC §4, §10): body by payload format, Standard Webhooks
// headers and signature (HMAC "v1" or Ed25519 "v1a" with webhook-key-id; both signatures during a rotation's grace
// period), the seed-compatible X-Webhook-Signature (HMAC keys only), X-Webhook-* metadata headers and the webhook's own
// headers. Pure, but for the HMAC state of the signing keys it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/signing.h"
#include "delivery/http_client.h"
#include "domain/model.h"

namespace hookd {

// A webhook's signing keys, decoded and keyed once (the engine keeps one per webhook and rebuilds it when the
// webhook changes). One object must not be used by two threads at once.
struct DeliverySigningKeys {
  explicit DeliverySigningKeys(const Webhook& webhook);

  StandardWebhooksSigner current;
  std::optional<StandardWebhooksSigner> previous;  // during a rotation's grace period
  HmacSha256Key seed;                              // X-Webhook-Signature: keyed by the whole secret string
  std::shared_ptr<const OutboundTls> tls;          // its TLS settings, when it has any
};

// A request to the webhook signed as a delivery is, for `body` as given (the handshake's, say): Standard Webhooks
// headers with `message_id`, and the X-Webhook-* metadata with `event_type` and `attempt_number`.
[[nodiscard]] OutboundRequest BuildSignedRequest(const Webhook& webhook, DeliverySigningKeys& keys,
                                                 const std::string& message_id, const std::string& event_type,
                                                 std::string body, int attempt_number, int64_t now_ms,
                                                 int64_t timeout_ms);
[[nodiscard]] OutboundRequest BuildDeliveryRequest(const Webhook& webhook, DeliverySigningKeys& keys,
                                                   const Event& event, int attempt_number, int64_t now_ms,
                                                   int64_t timeout_ms);
// The same, with keys prepared for this one request.
[[nodiscard]] OutboundRequest BuildDeliveryRequest(const Webhook& webhook, const Event& event, int attempt_number,
                                                   int64_t now_ms, int64_t timeout_ms);

}  // namespace hookd
