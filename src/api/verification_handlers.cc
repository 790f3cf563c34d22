// The ownership handshake (SPEC §10, delivery/handshake.h) as the API runs it: on create and on a URL change of a
// webhook that asks for it (webhook_handlers.cc), and again on POST /webhooks/{id}/verify. A handshake proves only
// the URL it went to, so it is recorded against that URL (Store::MarkWebhookVerified refuses a changed one).
#include "api/api.h"
#include "api/json_mapping.h"
#include "delivery/handshake.h"

namespace hookd {
namespace {

constexpr int64_t kHandshakeTimeoutMs = 10'000;  // as a reachability ping: a person may be waiting

}  // namespace

Result<HandshakeOutcome> Api::SendHandshake(const Webhook& webhook) {
  const std::string challenge = NewHandshakeChallenge();
  auto response = SendNowLimited(BuildHandshakeRequest(webhook, challenge, clock_.NowMs(),
                                                       std::min(config_.attempt_timeout_ms, kHandshakeTimeoutMs)));
  if (!response) return Fail(response.error());
  return JudgeHandshake(*response, challenge);
}

Result<Webhook> Api::ApplyHandshake(const Webhook& stored, const HandshakeOutcome& outcome, const Actor& by) {
  if (!outcome.echoed) return stored;
  auto verified = store_.MarkWebhookVerified(stored.account_id, stored.id, stored.url, by);
  if (!verified) return Fail(verified.error());
  work_.OnWebhookChanged(stored.id);  // its held deliveries go out
  return verified;
}

HttpResponse Api::VerifyWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  auto outcome = SendHandshake(*webhook);
  if (!outcome) return ErrorResponse(outcome.error());
  if (!outcome->echoed) {
    return ErrorResponse(Error{ErrorKind::kValidation,
                               "verification_failed",
                               "the endpoint " + outcome->why + "; it must answer 2xx with the challenge echoed",
                               {FieldError{"url", outcome->why}}});
  }
  auto verified = ApplyHandshake(*webhook, *outcome, ActorOf(request, principal));
  if (!verified) return ErrorResponse(verified.error());
  return JsonResponse(200, WebhookJson(*verified, false));
}

}  // namespace hookd
