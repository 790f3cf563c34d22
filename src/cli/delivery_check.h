// What `hookd listen` decides about one request it receives: whether its Standard Webhooks headers
// (webhook-id, webhook-timestamp, webhook-signature) verify against the secret, with the 5-minute timestamp
// tolerance receivers are told to use. Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "api/http_types.h"

namespace hookd {

inline constexpr int64_t kTimestampToleranceS = 300;

enum class DeliveryVerdict { kVerified, kBadTimestamp, kBadSignature };

[[nodiscard]] DeliveryVerdict CheckDelivery(const HttpRequest& request, std::string_view secret, int64_t now_s);

}  // namespace hookd
