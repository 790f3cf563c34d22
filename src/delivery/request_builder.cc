// Signatures are computed over the exact body bytes that are sent.
#include "delivery/request_builder.h"

#include "common/json.h"
#include "common/version.h"
#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "domain/payload.h"

namespace hookd {

DeliverySigningKeys::DeliverySigningKeys(const Webhook& webhook) : current(webhook.secret), seed(webhook.secret) {
  if (!webhook.previous_secret.empty()) previous.emplace(webhook.previous_secret);
  if (!webhook.tls.empty()) {
    const WebhookTls& t = webhook.tls;
    tls = std::make_shared<const OutboundTls>(
        OutboundTls{Sha256Hex(t.client_certificate + '\0' + t.client_key + '\0' + t.ca_certificates), t});
  }
}

OutboundRequest BuildDeliveryRequest(const Webhook& webhook, DeliverySigningKeys& keys, const Event& event,
                                     int attempt_number, int64_t now_ms, int64_t timeout_ms) {
  return BuildSignedRequest(webhook, keys, event.id, event.type,
                            BuildPayload(webhook.payload_format, event, webhook.id), attempt_number, now_ms,
                            timeout_ms);
}

OutboundRequest BuildSignedRequest(const Webhook& webhook, DeliverySigningKeys& keys, const std::string& message_id,
                                   const std::string& event_type, std::string body, int attempt_number, int64_t now_ms,
                                   int64_t timeout_ms) {
  OutboundRequest req;
  req.url = webhook.url;
  req.timeout_ms = timeout_ms;
  req.body = std::move(body);
  req.tls = keys.tls;
  const int64_t timestamp_s = now_ms / 1000;
  std::string signature = keys.current.Sign(message_id, timestamp_s, req.body).value_or("");
  if (keys.previous && webhook.previous_secret_expires_at_ms > now_ms) {
    if (auto previous = keys.previous->Sign(message_id, timestamp_s, req.body)) signature += " " + *previous;
  }
  // Built in place: a braced list would copy every string once more (its elements are const).
  req.headers.reserve(9 + webhook.headers.size());
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("User-Agent", std::string("hookd/") + kVersion);
  req.headers.emplace_back("webhook-id", message_id);
  req.headers.emplace_back("webhook-timestamp", std::to_string(timestamp_s));
  req.headers.emplace_back("webhook-signature", std::move(signature));
  if (const Ed25519Key* key = keys.current.ed25519()) {
    req.headers.emplace_back("webhook-key-id", key->key_id());  // the receiver holds no secret for a seed signature
  } else {
    req.headers.emplace_back("X-Webhook-Signature", HexEncode(keys.seed.Mac({req.body})));
  }
  req.headers.emplace_back("X-Webhook-Id", webhook.id);
  req.headers.emplace_back("X-Webhook-Event", event_type);
  req.headers.emplace_back("X-Webhook-Attempt", std::to_string(attempt_number));
  req.headers.insert(req.headers.end(), webhook.headers.begin(), webhook.headers.end());
  return req;
}

OutboundRequest BuildDeliveryRequest(const Webhook& webhook, const Event& event, int attempt_number, int64_t now_ms,
                                     int64_t timeout_ms) {
  DeliverySigningKeys keys(webhook);
  return BuildDeliveryRequest(webhook, keys, event, attempt_number, now_ms, timeout_ms);
}

}  // namespace hookd
