// Builds the exact HTTP request of one delivery attempt (SPEC §4): body by payload format, Standard Webhooks
// headers and signature (both signatures during a rotation's grace period), the seed-compatible
// X-Webhook-Signature, X-Webhook-* metadata headers and the webhook's own headers. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "delivery/http_client.h"
#include "domain/model.h"

namespace hookd {

inline constexpr const char* kVersion = "0.1.0";

[[nodiscard]] OutboundRequest BuildDeliveryRequest(const Webhook& webhook, const Event& event, int attempt_number,
                                                   int64_t now_ms, int64_t timeout_ms);

// The request headers as a JSON object, for the delivery log.
[[nodiscard]] std::string HeadersToJsonObject(const HeaderList& headers);

}  // namespace hookd
