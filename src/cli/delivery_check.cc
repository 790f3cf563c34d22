// The timestamp is whole seconds in decimal, within the tolerance either way (clocks drift both ways); any
// entry of the signature header may match (two during a secret rotation).
#include "cli/delivery_check.h"

#include <charconv>
#include <cstdlib>
#include <string>

#include "crypto/signing.h"

namespace hookd {

DeliveryVerdict CheckDelivery(const HttpRequest& request, std::string_view secret, int64_t now_s) {
  const std::string ts_text = request.Header("webhook-timestamp");
  int64_t ts = 0;
  const auto [end, ec] = std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts);
  const bool ts_ok = ec == std::errc() && end == ts_text.data() + ts_text.size() &&
                     ts >= now_s - kTimestampToleranceS && ts <= now_s + kTimestampToleranceS;
  if (!ts_ok) return DeliveryVerdict::kBadTimestamp;
  const bool signed_ok = VerifyStandardWebhooksSignature(secret, request.Header("webhook-id"), ts, request.body,
                                                         request.Header("webhook-signature"));
  return signed_ok ? DeliveryVerdict::kVerified : DeliveryVerdict::kBadSignature;
}

}  // namespace hookd
