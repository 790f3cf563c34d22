// Signatures are computed over the exact body bytes that are sent.
#include "delivery/request_builder.h"

#include <algorithm>

#include "common/json.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "domain/payload.h"

namespace hookd {

DeliverySigningKeys::DeliverySigningKeys(const Webhook& webhook) : current(webhook.secret), seed(webhook.secret) {
  if (!webhook.previous_secret.empty()) previous.emplace(webhook.previous_secret);
}

OutboundRequest BuildDeliveryRequest(const Webhook& webhook, DeliverySigningKeys& keys, const Event& event,
                                     int attempt_number, int64_t now_ms, int64_t timeout_ms) {
  OutboundRequest req;
  req.url = webhook.url;
  req.timeout_ms = timeout_ms;
  req.body = BuildPayload(webhook.payload_format, event, webhook.id);
  const int64_t timestamp_s = now_ms / 1000;
  std::string signature = keys.current.Sign(event.id, timestamp_s, req.body).value_or("");
  if (keys.previous && webhook.previous_secret_expires_at_ms > now_ms) {
    if (auto previous = keys.previous->Sign(event.id, timestamp_s, req.body)) signature += " " + *previous;
  }
  req.headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", std::string("hookd/") + kVersion},
      {"webhook-id", event.id},
      {"webhook-timestamp", std::to_string(timestamp_s)},
      {"webhook-signature", std::move(signature)},
      {"X-Webhook-Signature", HexEncode(keys.seed.Mac({req.body}))},
      {"X-Webhook-Id", webhook.id},
      {"X-Webhook-Event", event.type},
      {"X-Webhook-Attempt", std::to_string(attempt_number)},
  };
  for (const auto& h : webhook.headers) req.headers.push_back(h);
  return req;
}

OutboundRequest BuildDeliveryRequest(const Webhook& webhook, const Event& event, int attempt_number, int64_t now_ms,
                                     int64_t timeout_ms) {
  DeliverySigningKeys keys(webhook);
  return BuildDeliveryRequest(webhook, keys, event, attempt_number, now_ms, timeout_ms);
}

// Written directly rather than through a json::object (a hash table per attempt, twice per attempt). A name that
// appears twice keeps its last value, as an object would.
std::string HeadersToJsonObject(const HeaderList& headers) {
  size_t size = 2;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 6;  // quotes, colon, comma
  std::string out;
  out.reserve(size);
  out += '{';
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    const bool repeated_later = std::any_of(headers.begin() + static_cast<std::ptrdiff_t>(i) + 1, headers.end(),
                                            [&](const auto& h) { return h.first == name; });
    if (repeated_later) continue;
    if (out.size() > 1) out += ',';
    AppendJsonQuoted(out, name);
    out += ':';
    AppendJsonQuoted(out, value);
  }
  out += '}';
  return out;
}

}  // namespace hookd
