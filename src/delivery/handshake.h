// The ownership handshake (SPEC §10), in the spirit of CloudEvents' abuse protection: hookd POSTs a signed
// {"type": "webhook.verification", "challenge": "<base64url of 32 random bytes>"} to the webhook's URL, and the
// endpoint proves its owner agreed to receive by answering 2xx with the challenge echoed, as the body
// {"challenge": "<same>"} or as the header `webhook-challenge: <same>`. Until then the webhook's deliveries are held.
// Pure but for the challenge's randomness.
#pragma once

#include <cstdint>
#include <string>

#include "delivery/transport.h"
#include "domain/model.h"

namespace hookd {

inline constexpr const char* kVerificationEventType = "webhook.verification";

// A fresh challenge: base64url of 32 random bytes.
[[nodiscard]] std::string NewHandshakeChallenge();

// The signed handshake request to `webhook`'s URL.
[[nodiscard]] OutboundRequest BuildHandshakeRequest(const Webhook& webhook, const std::string& challenge,
                                                    int64_t now_ms, int64_t timeout_ms);

// How the endpoint answered.
struct HandshakeOutcome {
  bool answered = false;  // an HTTP response arrived
  bool echoed = false;    // 2xx with the challenge in the body or the header
  std::string why;        // when not: "answered 200 without echoing the challenge", "did not answer: timeout", …
  std::string error;      // without an answer: the transport's error ("timeout", "connection_refused", …)
};
[[nodiscard]] HandshakeOutcome JudgeHandshake(const OutboundResponse& response, const std::string& challenge);

}  // namespace hookd
