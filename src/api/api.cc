// Request pipeline: authenticate → rate limit → route → check access → handler; every response carries the
// X-RateLimit-* headers. Also the operational endpoints (health, readiness, metrics, OpenAPI).
#include "api/api.h"

#include <cassert>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "api/openapi.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/version.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

// A duration for the access log: milliseconds with three decimals.
std::string FormatMilliseconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds * 1000);
  return buf;
}

}  // namespace

Api::Api(const Config& config, std::string admin_token, Store& store, ApiPorts ports)
    : config_(config),
      admin_token_(std::move(admin_token)),
      store_(store),
      work_(ports.work),
      sender_(ports.sender),
      in_flight_(ports.in_flight),
      catalog_(ports.catalog),
      metrics_(ports.metrics),
      clock_(ports.clock),
      rate_limiter_(config.api_rate_limit_per_s),
      ui_headers_(UiSecurityHeaders(config.portal_allowed_origins)) {
  RegisterRoutes();
}

void Api::ReloadEventTypes() {
  if (auto custom = store_.ListCustomEventTypes()) catalog_.SetCustomTypes(std::move(*custom));
}

void Api::Register(const char* method, const char* pattern, Access access, Handler handler, const char* summary) {
  [[maybe_unused]] const size_t index = router_.Add(method, pattern, summary);
  targets_.push_back(RouteTarget{access, handler, nullptr, pattern, metrics_.RegisterRoute(pattern)});
  assert(index + 1 == targets_.size());
}

void Api::Register(const char* method, const char* pattern, Access access, AsyncHandler handler, const char* summary) {
  [[maybe_unused]] const size_t index = router_.Add(method, pattern, summary);
  targets_.push_back(RouteTarget{access, nullptr, handler, pattern, metrics_.RegisterRoute(pattern)});
  assert(index + 1 == targets_.size());
}

void Api::RegisterRoutes() {
  using A = Access;
  Register("GET", "/healthz", A::kPublic, &Api::Healthz, "Liveness");
  Register("GET", "/readyz", A::kPublic, &Api::Readyz, "Readiness: the store answers");
  if (config_.metrics_listen_host.empty()) {  // else only the operations address serves it
    Register("GET", "/metrics", A::kPublic, &Api::MetricsText, "Prometheus metrics");
  }
  if (!config_.RunsApi()) return;  // a worker serves only its health and metrics (SPEC §6)
  Register("GET", "/api/v1/openapi.json", A::kPublic, &Api::OpenApi, "This document");
  Register("GET", "/", A::kPublic, &Api::RedirectToUi, "Redirects to the web UI");
  Register("GET", "/settings/webhooks", A::kPublic, &Api::UiIndex, "The web UI");
  Register("GET", "/ui/{file}", A::kPublic, &Api::UiFile, "The web UI's assets");
  Register("GET", "/.well-known/hookd/{account_id}/jwks.json", A::kPublic, &Api::AccountJwks,
           "An account's Ed25519 public keys (JWKS) for verifying v1a signatures");
  Register("GET", "/api/v1/server-info", A::kAccount, &Api::ServerInfo,
           "This server's rules: HTTP allowed, rate cap, retry schedule");

  Register("POST", "/api/v1/accounts", A::kAdmin, &Api::CreateAccount, "Create an account");
  Register("GET", "/api/v1/accounts", A::kAdmin, &Api::ListAccounts, "List accounts");
  Register("GET", "/api/v1/accounts/{id}", A::kAdmin, &Api::GetAccount, "Get an account");
  Register("PATCH", "/api/v1/accounts/{id}", A::kAdmin, &Api::PatchAccount, "Update an account");
  Register("DELETE", "/api/v1/accounts/{id}", A::kAdmin, &Api::DeleteAccount, "Delete an account");
  Register("POST", "/api/v1/accounts/{id}/api-keys", A::kAdmin, &Api::CreateApiKey, "Create an API key");
  Register("GET", "/api/v1/accounts/{id}/api-keys", A::kAdmin, &Api::ListApiKeys, "List an account's API keys");
  Register("DELETE", "/api/v1/accounts/{id}/api-keys/{key_id}", A::kAdmin, &Api::RevokeApiKey, "Revoke an API key");
  Register("GET", "/api/v1/account", A::kAccount, &Api::GetOwnAccount, "The caller's account");
  Register("PATCH", "/api/v1/account", A::kPlatform, &Api::PatchOwnAccount, "Update the caller's account");

  Register("POST", "/api/v1/webhooks", A::kAccount, &Api::CreateWebhook, "Create a webhook");
  Register("GET", "/api/v1/webhooks", A::kAccount, &Api::ListWebhooks, "List webhooks");
  Register("GET", "/api/v1/webhooks/events/available", A::kAccount, &Api::AvailableEvents,
           "The event catalog grouped by category");
  Register("GET", "/api/v1/webhooks/{id}", A::kAccount, &Api::GetWebhook, "Get a webhook");
  Register("PATCH", "/api/v1/webhooks/{id}", A::kAccount, &Api::PatchWebhook, "Update a webhook");
  Register("DELETE", "/api/v1/webhooks/{id}", A::kAccount, &Api::DeleteWebhook, "Delete a webhook");
  Register("POST", "/api/v1/webhooks/{id}/test", A::kAccount, &Api::TestWebhook, "Send a signed test event now");
  Register("POST", "/api/v1/webhooks/{id}/verify", A::kAccount, &Api::VerifyWebhook,
           "Repeat the ownership handshake; the webhook is verified when its endpoint echoes the challenge");
  Register("GET", "/api/v1/webhooks/{id}/secret", A::kAccount, &Api::GetWebhookSecret, "Reveal the signing secret");
  Register("POST", "/api/v1/webhooks/{id}/secret/rotate", A::kAccount, &Api::RotateWebhookSecret,
           "Rotate the signing secret (the previous one signs alongside for 24 h)");
  Register("GET", "/api/v1/webhooks/{id}/deliveries", A::kAccount, &Api::ListWebhookDeliveries,
           "A webhook's delivery log");
  Register("POST", "/api/v1/webhooks/{id}/retry", A::kAccount, &Api::RetryWebhookDeliveries,
           "Retry a webhook's failed/dead deliveries in a date range (?dry_run=true counts them)");
  Register("POST", "/api/v1/webhooks/{id}/replay", A::kAccount, &Api::ReplayWebhook,
           "Re-send every matching event in a date range");
  Register("GET", "/api/v1/webhooks/{id}/stats", A::kAccount, &Api::WebhookStats, "A webhook's delivery statistics");

  Register("GET", "/api/v1/event-types", A::kAccount, &Api::ListEventTypes, "List event types");
  Register("POST", "/api/v1/event-types", A::kAdmin, &Api::CreateEventType, "Add a custom event type");
  Register("DELETE", "/api/v1/event-types/{type}", A::kAdmin, &Api::DeleteEventType, "Delete a custom event type");

  Register("POST", "/api/v1/events", A::kPlatform, &Api::CreateEvent, "Emit an event");
  Register("POST", "/api/v1/events/batch", A::kPlatform, &Api::CreateEventBatch, "Emit up to 1000 events at once");
  Register("GET", "/api/v1/events", A::kAccount, &Api::ListEvents, "List events");
  Register("GET", "/api/v1/events/{id}", A::kAccount, &Api::GetEvent, "Get an event with its deliveries");
  Register("POST", "/api/v1/events/{id}/replay", A::kAccount, &Api::ReplayEvent,
           "New deliveries of an event (all matching webhooks, or one)");

  Register("GET", "/api/v1/deliveries", A::kAccount, &Api::ListDeliveries, "List deliveries");
  Register("GET", "/api/v1/deliveries/{id}", A::kAccount, &Api::GetDelivery, "Get a delivery with its attempts");
  Register("POST", "/api/v1/deliveries/{id}/retry", A::kAccount, &Api::RetryDelivery,
           "Retry a failed or dead delivery now");
  Register("GET", "/api/v1/stats", A::kAccount, &Api::AccountStats,
           "Delivery statistics (?since=24h): per event type, per webhook and over time");

  Register("GET", "/api/v1/audit-log", A::kAccount, &Api::ListAuditLog,
           "The audit trail: who changed what, newest first");
  Register("POST", "/api/v1/operational-webhooks", A::kPlatform, &Api::CreateOperationalWebhook,
           "Register an operational webhook: the platform hears of its customers' failing and disabled endpoints");
  Register("GET", "/api/v1/operational-webhooks", A::kPlatform, &Api::ListOperationalWebhooks,
           "List operational webhooks");
  Register("GET", "/api/v1/operational-webhooks/{id}", A::kPlatform, &Api::GetOperationalWebhook,
           "Get an operational webhook");
  Register("PATCH", "/api/v1/operational-webhooks/{id}", A::kPlatform, &Api::PatchOperationalWebhook,
           "Update an operational webhook");
  Register("DELETE", "/api/v1/operational-webhooks/{id}", A::kPlatform, &Api::DeleteOperationalWebhook,
           "Delete an operational webhook");
  Register("GET", "/api/v1/operational-webhooks/{id}/deliveries", A::kPlatform, &Api::ListOperationalDeliveries,
           "An operational webhook's delivery log");
  Register("POST", "/api/v1/portal-sessions", A::kPlatform, &Api::CreatePortalSession,
           "Open a portal session: a link that signs a browser into the web UI for one account");
  Register("GET", "/api/v1/portal-sessions/current", A::kAccount, &Api::GetCurrentPortalSession,
           "The portal session the caller signed in with");
  Register("DELETE", "/api/v1/portal-sessions/{id}", A::kPlatform, &Api::RevokePortalSession,
           "Revoke a portal session");
}

void Api::Handle(const HttpRequest& request, Respond respond, const Offload& offload) {
  if (std::optional<Result<Principal>> principal = AuthenticateWithoutBlocking(request)) {
    return Dispatch(request, std::move(*principal), std::move(respond), &offload);
  }
  offload([this, &request, respond = std::move(respond)]() mutable {
    Dispatch(request, Authenticate(request), std::move(respond), nullptr);
  });
}

void Api::HandleOperations(const HttpRequest& request, Respond respond, const Offload& offload) {
  offload([this, &request, respond = std::move(respond)] {
    const Principal nobody;
    const PathParams none;
    if (request.method != "GET") return respond(ErrorResponse(Error::NotFound("this address serves GET only")));
    if (request.path == "/metrics") return respond(MetricsText(request, none, nobody));
    if (request.path == "/healthz") return respond(Healthz(request, none, nobody));
    if (request.path == "/readyz") return respond(Readyz(request, none, nobody));
    respond(ErrorResponse(Error::NotFound("this address serves /metrics, /healthz and /readyz")));
  });
}

void Api::Dispatch(const HttpRequest& request, Result<Principal> principal, Respond respond, const Offload* offload) {
  RateLimitDecision limit;
  if (rate_limiter_.Enabled()) {
    const std::string bucket = principal ? principal->credential : "addr:" + request.remote_address;
    limit = rate_limiter_.Check(bucket, clock_.NowMs());
  }
  // Every answer, now or later, carries the same headers, is counted under its route and logged (the credential by
  // its id, never the secret).
  auto route = std::make_shared<const RouteTarget*>(nullptr);
  Respond finish = [this, route, started = std::chrono::steady_clock::now(), method = request.method,
                    request_id = request.request_id, credential = principal ? principal->credential : std::string("-"),
                    limited = rate_limiter_.Enabled(), limit, respond = std::move(respond)](HttpResponse response) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const RouteTarget* target = *route;
    metrics_.ApiRequest(target ? target->metrics_route : Metrics::kUnmatchedRoute, response.status, seconds);
    LogInfo("request", {{"method", method},
                        {"route", target ? target->pattern : "unmatched"},
                        {"status", std::to_string(response.status)},
                        {"duration_ms", FormatMilliseconds(seconds)},
                        {"credential", credential},
                        {"request_id", request_id}});
    if (!request_id.empty()) response.headers.emplace_back("X-Request-Id", request_id);
    if (response.status == 503) response.headers.emplace_back("Retry-After", kUnavailableRetryAfterSeconds);
    if (limited) {
      response.headers.emplace_back("X-RateLimit-Limit", std::to_string(limit.limit));
      response.headers.emplace_back("X-RateLimit-Remaining", std::to_string(limit.remaining));
      response.headers.emplace_back("X-RateLimit-Reset", std::to_string(limit.reset_s));
    }
    respond(std::move(response));
  };
  if (!limit.allowed) {
    HttpResponse response =
        ErrorResponse(Error{ErrorKind::kRateLimited,
                            "rate_limited",
                            "too many requests; retry after " + std::to_string(limit.retry_after_s) + " s",
                            {}});
    response.headers.emplace_back("Retry-After", std::to_string(limit.retry_after_s));
    return finish(std::move(response));
  }
  if (request.malformed_target) return finish(ErrorResponse(Error::BadRequest("malformed request target")));
  auto match = router_.Find(request.method, request.path);
  if (!match) return finish(ErrorResponse(match.error()));
  const RouteTarget& target = targets_[match->route_index];
  *route = &target;
  if (auto allowed = Authorize(target.access, principal, request.method); !allowed) {
    HttpResponse response = ErrorResponse(allowed.error());
    if (!principal) response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return finish(std::move(response));
  }
  Principal caller = principal ? std::move(*principal) : Principal{};
  if (target.async_handler) return (this->*target.async_handler)(request, match->params, caller, std::move(finish));
  if (!offload) return finish((this->*target.handler)(request, match->params, caller));
  // Synchronous handlers read the store: never on the network thread.
  (*offload)([this, &request, handler = target.handler, params = std::move(match->params), caller = std::move(caller),
              finish = std::move(finish)] { finish((this->*handler)(request, params, caller)); });
}

Actor Api::ActorOf(const HttpRequest& request, const Principal& principal) const {
  Actor actor;
  actor.type = principal.admin ? ActorType::kAdmin : principal.portal ? ActorType::kPortalSession : ActorType::kApiKey;
  if (!principal.admin) actor.id = principal.credential;
  actor.at_ms = clock_.NowMs();
  actor.ip = request.remote_address;
  actor.request_id = request.request_id;
  return actor;
}

std::optional<Result<Principal>> Api::AuthenticateWithoutBlocking(const HttpRequest& request) {
  const std::string header = request.Header("authorization");
  if (header.empty()) return Fail(Error::Unauthorized("missing bearer token"));
  if (header.size() < 8 || (header.compare(0, 7, "Bearer ") != 0 && header.compare(0, 7, "bearer ") != 0)) {
    return Fail(Error::Unauthorized("expected Authorization: Bearer <token>"));
  }
  const std::string token = header.substr(7);
  if (ConstantTimeEquals(token, admin_token_)) return Principal{true, "", "admin", std::nullopt};
  if ((!token.starts_with(kApiKeyPrefix) && !token.starts_with(kPortalTokenPrefix)) || token.size() >= 256) {
    return Fail(Error::Unauthorized("invalid API key or token"));
  }
  // Looked up by hash: the key itself is never stored, and the comparison is of fixed-size digests.
  if (auto cached = credentials_.Find(Sha256Hex(token), clock_.NowMs())) return PrincipalOf(*cached);
  return std::nullopt;
}

Result<Principal> Api::PrincipalOf(const CachedCredential& credential) const {
  if (credential.expires_at_ms <= clock_.NowMs()) {
    return Fail(
        Error{ErrorKind::kUnauthorized, "session_expired", "this portal link has expired; ask for a new one", {}});
  }
  return Principal{false, credential.account_id, credential.key_id, credential.portal};
}

Result<Principal> Api::Authenticate(const HttpRequest& request) {
  if (auto decided = AuthenticateWithoutBlocking(request)) return std::move(*decided);
  const std::string token = request.Header("authorization").substr(7);
  const std::string hash = Sha256Hex(token);
  CachedCredential credential;
  if (token.starts_with(kPortalTokenPrefix)) {
    auto session = store_.FindPortalSessionByHash(hash);
    if (!session) return Fail(session.error());
    if (!*session) return Fail(Error::Unauthorized("invalid API key or token"));
    credential =
        CachedCredential{(*session)->account_id, (*session)->id, (*session)->access, (*session)->expires_at_ms};
  } else {
    auto key = store_.FindApiKeyByHash(hash);
    if (!key) return Fail(key.error());
    if (!*key) return Fail(Error::Unauthorized("invalid API key or token"));
    credential = CachedCredential{(*key)->account_id, (*key)->id, std::nullopt, INT64_MAX};
  }
  credentials_.Put(hash, credential, clock_.NowMs());
  return PrincipalOf(credential);
}

Result<std::string> Api::ActingAccount(const HttpRequest& request, const Principal& principal,
                                       const json::object* body) {
  if (!principal.admin) return principal.account_id;
  std::string account_id;
  if (const std::string* q = request.Query("account_id")) {
    account_id = *q;
  } else if (body) {
    if (auto it = body->find("account_id"); it != body->end()) {
      if (!it->value().is_string()) return Fail(Error::Invalid("account_id", "must be a string"));
      account_id = std::string(it->value().as_string());
    }
  }
  if (account_id.empty()) {
    return Fail(Error::Invalid("account_id", "is required when acting with the admin token"));
  }
  if (!IsWellFormedId(account_id, "acc_")) return Fail(Error::NotFound("account not found"));
  auto account = store_.GetAccount(account_id);
  if (!account) return Fail(account.error());
  return account_id;
}

Result<Api::PathTarget> Api::ResolvePath(const HttpRequest& request, const PathParams& params,
                                         const Principal& principal, std::string_view prefix, const char* noun,
                                         const json::object* body) {
  auto account_id = ActingAccount(request, principal, body);
  if (!account_id) return Fail(account_id.error());
  const std::string& id = params.at("id");
  if (!IsWellFormedId(id, prefix)) return Fail(Error::NotFound(std::string(noun) + " not found"));
  return PathTarget{std::move(*account_id), id};
}

Result<PageRequest> ParsePageRequest(const HttpRequest& request, std::string_view id_prefix) {
  PageRequest page;
  if (const std::string* limit = request.Query("limit")) {
    int value = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || p != limit->data() + limit->size() || value < 1 || value > 1000) {
      return Fail(Error::Invalid("limit", "must be an integer from 1 to 1000"));
    }
    page.limit = value;
  }
  if (const std::string* cursor = request.Query("cursor"); cursor && !cursor->empty()) {
    if (!IsWellFormedId(*cursor, id_prefix)) return Fail(Error::Invalid("cursor", "is not a cursor of this list"));
    page.cursor = *cursor;
  }
  return page;
}

Result<std::optional<int64_t>> ParseTimeQuery(const HttpRequest& request, const std::string& name, int64_t now_ms) {
  const std::string* text = request.Query(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  auto ms = ParseTimeBound(*text, now_ms);
  if (!ms) return Fail(Error::Invalid(name, "must be an RFC 3339 time (2026-01-31T12:00:00Z) or a duration (24h)"));
  return std::optional<int64_t>(*ms);
}

Result<TimeRangeQuery> ParseTimeRangeQuery(const HttpRequest& request, int64_t now_ms) {
  auto since = ParseTimeQuery(request, "since", now_ms);
  if (!since) return Fail(since.error());
  auto until = ParseTimeQuery(request, "until", now_ms);
  if (!until) return Fail(until.error());
  return TimeRangeQuery{*since, *until};
}

// ---- operations ----

HttpResponse Api::Healthz(const HttpRequest&, const PathParams&, const Principal&) {
  return JsonResponse(200, json::object{{"status", "ok"}});
}

HttpResponse Api::Readyz(const HttpRequest&, const PathParams&, const Principal&) {
  auto probe = store_.ListCustomEventTypes();
  if (!probe) return ErrorResponse(Error::Unavailable("store unavailable: " + probe.error().message));
  return JsonResponse(200, json::object{{"status", "ready"}});
}

HttpResponse Api::MetricsText(const HttpRequest&, const PathParams&, const Principal&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  std::optional<std::array<int64_t, 3>> webhooks;
  if (auto counts = store_.CountWebhooksByStatus()) webhooks = *counts;  // left out while the store is unreachable
  r.body = metrics_.RenderPrometheus(webhooks);
  return r;
}

HttpResponse Api::OpenApi(const HttpRequest&, const PathParams&, const Principal&) {
  static const std::string document = OpenApiDocument(kVersion);
  HttpResponse r;
  r.body = document;
  return r;
}

}  // namespace hookd
