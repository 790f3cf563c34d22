// Webhooks: CRUD, test sends, secret reveal and rotation, the per-webhook delivery log, and the reachability
// check (a signed webhook.ping) on create and on URL change.
#include <algorithm>
#include <iterator>

#include "api/api.h"
#include "api/json_mapping.h"
#include "api/webhook_input.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/signing_scheme.h"
#include "common/time_util.h"
#include "crypto/ed25519.h"
#include "crypto/signing.h"
#include "delivery/request_builder.h"
#include "domain/event_examples.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

constexpr int kMaxOutboundWaits = 8;        // of the 32 worker threads
constexpr int64_t kPingTimeoutMs = 10'000;  // a reachability check need not wait a whole attempt timeout

// The detail names only the reason (the web UI words it); the message also says how an API client skips it.
Error UnreachableError(const std::string& reason) {
  return Error{ErrorKind::kValidation,
               "endpoint_unreachable",
               "url is not reachable (" + reason + "); pass ?verify=false to skip the check",
               {FieldError{"url", "did not answer: " + reason}}};
}

bool VerifyRequested(const HttpRequest& request) {
  const std::string* v = request.Query("verify");
  return !(v && (*v == "false" || *v == "0"));
}

// A test send or a reachability check carries the type's catalog example (domain/event_examples.h), as the event
// catalog shows it, so a receiver's own test runs its real handler on realistic data; a custom type's is `{}`.
Event SampleEvent(const Webhook& webhook, const std::string& type, int64_t now_ms) {
  Event e;
  e.id = NewId("evt_");
  e.account_id = webhook.account_id;
  e.type = type;
  e.environment = webhook.environment;
  e.created_at_ms = now_ms;
  e.data_json = ExamplePayload(type);
  return e;
}

}  // namespace

Result<OutboundResponse> Api::SendSignedEvent(const Webhook& webhook, const Event& event, int64_t timeout_ms) {
  return SendNowLimited(BuildDeliveryRequest(webhook, event, 1, clock_.NowMs(), timeout_ms));
}

Result<OutboundResponse> Api::SendNowLimited(OutboundRequest request) {
  struct WaitSlot {
    std::atomic<int>& count;
    ~WaitSlot() { count.fetch_sub(1); }
  } slot{outbound_waits_};
  if (outbound_waits_.fetch_add(1) >= kMaxOutboundWaits) {
    return Fail(Error{ErrorKind::kUnavailable,
                      "busy",
                      "too many test sends and reachability checks are in progress; retry in a few seconds",
                      {}});
  }
  return sender_.SendNow(std::move(request)).get();
}

Result<Webhook> Api::LoadWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto target = ResolvePath(request, params, principal, "wh_", "webhook");
  if (!target) return Fail(target.error());
  return store_.GetWebhook(target->account_id, target->id);
}

// The reachability check of SPEC §3: a signed webhook.ping; any HTTP response counts.
Status Api::CheckReachable(const Webhook& w) {
  auto ping = SendSignedEvent(w, SampleEvent(w, "webhook.ping", clock_.NowMs()),
                              std::min(config_.attempt_timeout_ms, kPingTimeoutMs));
  if (!ping) return Fail(ping.error());
  if (!ping->status) return Fail(UnreachableError(ping->error));
  return Ok();
}

HttpResponse Api::CreateWebhook(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  auto account_id = ActingAccount(request, principal, &*body);
  if (!account_id) return ErrorResponse(account_id.error());
  Webhook w;
  w.id = NewId("wh_");
  w.account_id = *account_id;
  w.secret = GenerateWebhookSecret();
  w.created_at_ms = w.updated_at_ms = clock_.NowMs();
  const WebhookInputRules rules{config_.allow_http, config_.max_endpoint_rate, clock_.NowMs()};
  // A customer's own link asks for proof that the endpoint's owner agreed, unless told otherwise (SPEC §10).
  if (principal.portal) w.verification = WebhookVerification::kHandshake;
  if (auto st = ApplyWebhookFields(*body, true, rules, catalog_, w); !st) return ErrorResponse(st.error());
  if (!w.active) w.status = WebhookStatus::kDisabled;
  std::optional<HandshakeOutcome> handshake;
  if (w.verification == WebhookVerification::kHandshake) {  // the handshake is also the reachability check
    auto outcome = SendHandshake(w);
    if (!outcome) return ErrorResponse(outcome.error());
    if (!outcome->answered && VerifyRequested(request)) return ErrorResponse(UnreachableError(outcome->error));
    handshake = std::move(*outcome);
  } else if (VerifyRequested(request)) {
    if (auto st = CheckReachable(w); !st) return ErrorResponse(st.error());
  }
  const Actor by = ActorOf(request, principal);
  auto created = store_.CreateWebhook(w, config_.max_webhooks_per_account, by);
  if (!created) return ErrorResponse(created.error());
  if (handshake) created = ApplyHandshake(*created, *handshake, by);
  if (!created) return ErrorResponse(created.error());
  return JsonResponse(201, WebhookJson(*created, true));
}

HttpResponse Api::ListWebhooks(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto account_id = ActingAccount(request, principal);
  if (!account_id) return ErrorResponse(account_id.error());
  auto page = ParsePageRequest(request, "wh_");
  if (!page) return ErrorResponse(page.error());
  WebhookFilter filter;
  if (const std::string* active = request.Query("active")) {
    if (*active != "true" && *active != "false")
      return ErrorResponse(Error::Invalid("active", "must be true or false"));
    filter.active = *active == "true";
  }
  if (const std::string* event = request.Query("event")) filter.event_type = *event;
  if (const std::string* env = request.Query("environment")) filter.environment = *env;
  if (const std::string* status = request.Query("status")) {
    filter.status = ParseWebhookStatus(*status);
    if (!filter.status) return ErrorResponse(Error::Invalid("status", "must be healthy, failing or disabled"));
  }
  auto webhooks = store_.ListWebhooks(*account_id, filter, *page);
  if (!webhooks) return ErrorResponse(webhooks.error());
  return JsonResponse(200, PageJson(*webhooks, [](const Webhook& w) { return WebhookJson(w, false); }));
}

HttpResponse Api::GetWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  return JsonResponse(200, WebhookJson(*webhook, false));
}

HttpResponse Api::PatchWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  Webhook w = *webhook;
  const WebhookInputRules rules{config_.allow_http, config_.max_endpoint_rate, clock_.NowMs()};
  if (auto st = ApplyWebhookFields(*body, false, rules, catalog_, w); !st) return ErrorResponse(st.error());
  if (w.active && !webhook->active) {
    // Re-enabled: a fresh start for its health.
    w.status = WebhookStatus::kHealthy;
    w.disabled_reason.clear();
    w.circuit = CircuitState::kClosed;
  } else if (!w.active && webhook->active) {
    w.status = WebhookStatus::kDisabled;
    w.disabled_reason = "turned off by a user";
  }
  std::optional<HandshakeOutcome> handshake;
  if (NeedsHandshake(*webhook, w)) {  // the handshake is also the reachability check of a new URL
    auto outcome = SendHandshake(w);
    if (!outcome) return ErrorResponse(outcome.error());
    if (!outcome->answered && w.url != webhook->url && VerifyRequested(request)) {
      return ErrorResponse(UnreachableError(outcome->error));
    }
    handshake = std::move(*outcome);
  } else if (w.url != webhook->url && VerifyRequested(request)) {
    if (auto st = CheckReachable(w); !st) return ErrorResponse(st.error());
  }
  w.updated_at_ms = clock_.NowMs();
  const Actor by = ActorOf(request, principal);
  auto updated = store_.UpdateWebhook(w, /*sets_activity=*/body->contains("active"), by);
  if (!updated) return ErrorResponse(updated.error());
  if (handshake) updated = ApplyHandshake(*updated, *handshake, by);
  if (!updated) return ErrorResponse(updated.error());
  work_.OnWebhookChanged(w.id);
  return JsonResponse(200, WebhookJson(*updated, false));
}

HttpResponse Api::DeleteWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  if (auto st = store_.DeleteWebhook(webhook->account_id, webhook->id, ActorOf(request, principal)); !st) {
    return ErrorResponse(st.error());
  }
  work_.OnWebhookChanged(webhook->id);
  return EmptyResponse(204);
}

HttpResponse Api::TestWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  std::string type = "webhook.test";
  if (auto it = body->find("event_type"); it != body->end() && !it->value().is_null()) {
    if (!it->value().is_string()) return ErrorResponse(Error::Invalid("event_type", "must be a string"));
    type = std::string(it->value().as_string());
    if (!catalog_.Contains(type)) {
      return ErrorResponse(Error::Invalid("event_type", "is not in the event catalog", "unknown_event_type"));
    }
  }
  auto sent = SendSignedEvent(*webhook, SampleEvent(*webhook, type, clock_.NowMs()), config_.attempt_timeout_ms);
  if (!sent) return ErrorResponse(sent.error());
  json::object out{{"success", sent->Success()},
                   {"response_time_ms", sent->elapsed_ms},
                   {"response_body", sent->body},
                   {"response_body_truncated", sent->body_truncated}};
  out["response_status"] = sent->status ? json::value(*sent->status) : json::value(nullptr);
  out["error"] = sent->error.empty() ? json::value(nullptr) : json::value(sent->error);
  return JsonResponse(200, out);
}

HttpResponse Api::GetWebhookSecret(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  // Who read a secret, and when, is part of the trail.
  if (auto st = store_.RecordAudit(MakeAuditRecord(ActorOf(request, principal), webhook->account_id,
                                                   "webhook.secret_revealed", "webhook", webhook->id));
      !st) {
    return ErrorResponse(st.error());
  }
  return JsonResponse(200, SigningKeyJson(*webhook));
}

HttpResponse Api::RotateWebhookSecret(const HttpRequest& request, const PathParams& params,
                                      const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  Webhook w = *webhook;
  const bool ed25519 = SigningSchemeOf(w.secret) == kSigningEd25519;
  std::string next = ed25519 ? GenerateEd25519Secret() : GenerateWebhookSecret();
  if (auto it = body->find("secret"); it != body->end() && !it->value().is_null()) {
    if (ed25519)
      return ErrorResponse(Error::Invalid("secret", "an ed25519 webhook's key is made by hookd; omit secret"));
    if (!it->value().is_string() || !IsValidWebhookSecret(std::string(it->value().as_string()))) {
      return ErrorResponse(Error::Invalid("secret", "must be whsec_ followed by base64 of 24 to 64 bytes"));
    }
    next = std::string(it->value().as_string());
  }
  const int64_t now = clock_.NowMs();
  RotateSecret(w, std::move(next), now);
  w.updated_at_ms = now;
  auto updated = store_.UpdateWebhook(w, /*sets_activity=*/false, ActorOf(request, principal));
  if (!updated) return ErrorResponse(updated.error());
  work_.OnWebhookChanged(w.id);
  json::object out = SigningKeyJson(*updated);
  out["previous_secret_expires_at"] = FormatRfc3339(w.previous_secret_expires_at_ms);
  return JsonResponse(200, out);
}

HttpResponse Api::ListWebhookDeliveries(const HttpRequest& request, const PathParams& params,
                                        const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  DeliveryFilter filter;
  filter.webhook_id = webhook->id;
  if (const std::string* event = request.Query("event")) filter.event_type = *event;
  return RenderDeliveries(webhook->account_id, std::move(filter), request);
}

// The account's public keys (SPEC §10), for receivers of ed25519 webhooks; no credential, as a JWKS must be.
// Cacheable for five minutes: a rotation's new key signs beside the old one for a day, so a receiver that
// refreshes on an unknown key id never misses.
HttpResponse Api::AccountJwks(const HttpRequest&, const PathParams& params, const Principal&) {
  const std::string& account_id = params.at("account_id");
  if (auto account = store_.GetAccount(account_id); !account) return ErrorResponse(account.error());
  std::vector<Webhook> webhooks;
  PageRequest page{100, ""};
  for (;;) {
    auto listed = store_.ListWebhooks(account_id, WebhookFilter{}, page);
    if (!listed) return ErrorResponse(listed.error());
    std::move(listed->data.begin(), listed->data.end(), std::back_inserter(webhooks));
    if (!listed->next_cursor) break;
    page.cursor = *listed->next_cursor;
  }
  HttpResponse response = JsonResponse(200, JwksJson(webhooks, clock_.NowMs()));
  response.headers.emplace_back("Cache-Control", "public, max-age=300");
  return response;
}

}  // namespace hookd
