// The challenge is compared in constant time; a body is read as JSON only when it is small enough to be an echo.
#include "delivery/handshake.h"

#include "common/ids.h"
#include "common/json.h"
#include "crypto/encoding.h"
#include "delivery/request_builder.h"

namespace hookd {

std::string NewHandshakeChallenge() {
  return Base64UrlEncode(RandomBytes(32));
}

OutboundRequest BuildHandshakeRequest(const Webhook& webhook, const std::string& challenge, int64_t now_ms,
                                      int64_t timeout_ms) {
  DeliverySigningKeys keys(webhook);
  std::string body = SerializeJson(json::object{{"type", kVerificationEventType}, {"challenge", challenge}});
  return BuildSignedRequest(webhook, keys, NewId("msg_"), kVerificationEventType, std::move(body), 1, now_ms,
                            timeout_ms);
}

HandshakeOutcome JudgeHandshake(const OutboundResponse& response, const std::string& challenge) {
  if (!response.status) return {false, false, "did not answer: " + response.error, response.error};
  const std::string status = std::to_string(*response.status);
  if (!response.Success()) return {true, false, "answered " + status + " (the handshake needs a 2xx answer)", ""};
  if (ConstantTimeEquals(response.Header("webhook-challenge"), challenge)) return {true, true, "", ""};
  if (response.body.size() <= 4096) {
    const json::value body = ParseJsonOrNull(response.body);
    if (const json::object* o = body.if_object()) {
      if (const json::value* echo = o->if_contains("challenge"); echo && echo->is_string()) {
        if (ConstantTimeEquals(echo->as_string(), challenge)) return {true, true, "", ""};
        return {true, false, "answered " + status + " with another challenge", ""};
      }
    }
  }
  return {true, false, "answered " + status + " without echoing the challenge", ""};
}

}  // namespace hookd
