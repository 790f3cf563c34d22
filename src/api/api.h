// The REST API (SPEC §3): authentication, API rate limiting, routing, and one handler per endpoint. Handle()
// is the whole request → response function the HTTP server calls on its network thread; blocking work is
// offloaded to workers.
// Thread-safe: handlers share only thread-safe collaborators (store, ports, catalog, limiter, metrics).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/access_policy.h"
#include "api/credential_cache.h"
#include "api/http_types.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/metrics.h"
#include "delivery/delivery_work.h"
#include "delivery/handshake.h"
#include "delivery/in_flight_lookup.h"
#include "delivery/outbound_sender.h"
#include "domain/catalog.h"
#include "store/store.h"

namespace hookd {

// The headers of every web UI response: a strict Content-Security-Policy whose frame-ancestors are
// `allowed_origins` (--portal-allowed-origins; none: framing refused), nosniff, no referrer.
[[nodiscard]] HeaderList UiSecurityHeaders(const std::vector<std::string>& allowed_origins);

// How bearer tokens start: an account's API key, and a portal session's token.
inline constexpr std::string_view kApiKeyPrefix = "hk_";
inline constexpr std::string_view kPortalTokenPrefix = "hkp_";

// What the API needs of the rest of the process, besides its store.
struct ApiPorts {
  DeliveryWork& work;               // committed deliveries and webhook changes go to the engine
  OutboundSender& sender;           // test sends and reachability pings
  const InFlightLookup& in_flight;  // `delivering`, as every process sees it
  EventCatalog& catalog;
  Metrics& metrics;
  const Clock& clock;
};

class Api {
 public:
  Api(const Config& config, std::string admin_token, Store& store, ApiPorts ports);

  // Answers `request` through `respond`: before returning, or (for event ingest) once the events are durable.
  // Called on the network thread: what can be decided without blocking (credentials in the cache, routing, event
  // ingest, which only queues its write) is done there; the rest goes through `offload` to a worker.
  void Handle(const HttpRequest& request, Respond respond, const Offload& offload);
  // Answers on the operations address (--metrics-listen): /metrics, /healthz and /readyz, nothing else.
  void HandleOperations(const HttpRequest& request, Respond respond, const Offload& offload);
  // Drops every cached credential (another process revoked a key or deleted an account).
  void ForgetCredentials() { credentials_.Clear(); }
  // Reads the custom event types into the catalog again (another process changed them).
  void ReloadEventTypes();
  // Every route served, in registration order (the OpenAPI document describes each one), and who may call each.
  [[nodiscard]] const std::vector<Router::Route>& Routes() const { return router_.Routes(); }
  [[nodiscard]] Access AccessOf(size_t route) const { return targets_.at(route).access; }

 private:
  using Handler = HttpResponse (Api::*)(const HttpRequest&, const PathParams&, const Principal&);
  // A handler that answers later, without holding its worker thread while it waits.
  using AsyncHandler = void (Api::*)(const HttpRequest&, const PathParams&, const Principal&, Respond);
  struct RouteTarget {
    Access access;
    Handler handler = nullptr;
    AsyncHandler async_handler = nullptr;
    const char* pattern = "";  // for the access log
    size_t metrics_route = 0;  // its index in Metrics' routes
  };
  void Register(const char* method, const char* pattern, Access access, Handler handler, const char* summary);
  void Register(const char* method, const char* pattern, Access access, AsyncHandler handler, const char* summary);
  void RegisterRoutes();
  // Routes an authenticated (or failed) request; `offload` is null when already on a worker thread.
  void Dispatch(const HttpRequest& request, Result<Principal> principal, Respond respond, const Offload* offload);
  // The caller, when the header, the admin token or the credential cache decide it; nullopt when only the store
  // can (an API key not in the cache).
  [[nodiscard]] std::optional<Result<Principal>> AuthenticateWithoutBlocking(const HttpRequest& request);
  [[nodiscard]] Result<Principal> Authenticate(const HttpRequest& request);
  // The caller a cached credential stands for; a portal session past its end is refused as expired.
  [[nodiscard]] Result<Principal> PrincipalOf(const CachedCredential& credential) const;
  // The account a request acts for: the key's own, or for the admin the `account_id` query/body field.
  [[nodiscard]] Result<std::string> ActingAccount(const HttpRequest& request, const Principal& principal,
                                                  const json::object* body = nullptr);
  // The account a request acts for and the id its path names, which must be of `prefix`'s form: anything else
  // cannot name a `noun` ("delivery"), so it is 404 before any read.
  struct PathTarget {
    std::string account_id;
    std::string id;
  };
  [[nodiscard]] Result<PathTarget> ResolvePath(const HttpRequest& request, const PathParams& params,
                                               const Principal& principal, std::string_view prefix, const char* noun,
                                               const json::object* body = nullptr);

  // Operations.
  HttpResponse Healthz(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse Readyz(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse MetricsText(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse OpenApi(const HttpRequest&, const PathParams&, const Principal&);
  // Web UI.
  HttpResponse RedirectToUi(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse UiIndex(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse UiFile(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ServerInfo(const HttpRequest&, const PathParams&, const Principal&);
  // Accounts and keys.
  HttpResponse CreateAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListAccounts(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse PatchAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse DeleteAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetOwnAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse PatchOwnAccount(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse CreateApiKey(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListApiKeys(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse RevokeApiKey(const HttpRequest&, const PathParams&, const Principal&);
  // Webhooks.
  HttpResponse CreateWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListWebhooks(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse PatchWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse DeleteWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse TestWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetWebhookSecret(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse VerifyWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse AccountJwks(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse RotateWebhookSecret(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListWebhookDeliveries(const HttpRequest&, const PathParams&, const Principal&);
  // Catalog and event types.
  HttpResponse AvailableEvents(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListEventTypes(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse CreateEventType(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse DeleteEventType(const HttpRequest&, const PathParams&, const Principal&);
  // Events.
  void CreateEvent(const HttpRequest&, const PathParams&, const Principal&, Respond respond);
  void CreateEventBatch(const HttpRequest&, const PathParams&, const Principal&, Respond respond);
  HttpResponse ListEvents(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetEvent(const HttpRequest&, const PathParams&, const Principal&);
  // Deliveries.
  HttpResponse ListDeliveries(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetDelivery(const HttpRequest&, const PathParams&, const Principal&);
  // Manual recovery and statistics.
  HttpResponse RetryDelivery(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ReplayEvent(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse RetryWebhookDeliveries(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ReplayWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse AccountStats(const HttpRequest&, const PathParams&, const Principal&);
  // audit_handlers.cc
  HttpResponse ListAuditLog(const HttpRequest&, const PathParams&, const Principal&);
  // operational_handlers.cc
  HttpResponse CreateOperationalWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListOperationalWebhooks(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetOperationalWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse PatchOperationalWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse DeleteOperationalWebhook(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse ListOperationalDeliveries(const HttpRequest&, const PathParams&, const Principal&);
  // The operational webhook the path names, if the caller may see it (404 otherwise).
  [[nodiscard]] Result<OperationalWebhook> LoadOperationalWebhook(const PathParams& params, const Principal& principal);
  // portal_handlers.cc
  HttpResponse CreatePortalSession(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse GetCurrentPortalSession(const HttpRequest&, const PathParams&, const Principal&);
  HttpResponse RevokePortalSession(const HttpRequest&, const PathParams&, const Principal&);
  // Where browsers reach this server: --public-url, else the request's Host (https when a proxy says so).
  [[nodiscard]] Result<std::string> PublicBaseUrl(const HttpRequest& request) const;
  HttpResponse WebhookStats(const HttpRequest&, const PathParams&, const Principal&);

  // Shared pieces of the handlers.
  // Who is making a change, now, from where: what the audit record of the change names.
  [[nodiscard]] Actor ActorOf(const HttpRequest& request, const Principal& principal) const;
  [[nodiscard]] Result<Webhook> LoadWebhook(const HttpRequest& request, const PathParams& params,
                                            const Principal& principal);
  [[nodiscard]] HttpResponse RenderDeliveries(const std::string& account_id, DeliveryFilter filter,
                                              const HttpRequest& request);
  [[nodiscard]] Result<NewEvent> ParseNewEvent(const json::object& body, const std::string& field_prefix,
                                               const Principal& principal, const HttpRequest& request);
  // Sends a signed event now and waits for the answer (test sends, reachability pings). At most
  // kMaxOutboundWaits handlers wait at once, so slow endpoints cannot occupy every worker thread.
  [[nodiscard]] Result<OutboundResponse> SendSignedEvent(const Webhook& webhook, const Event& event,
                                                         int64_t timeout_ms);
  // Sends `request` now and waits for the answer, within the same limit.
  [[nodiscard]] Result<OutboundResponse> SendNowLimited(OutboundRequest request);
  // The ownership handshake (SPEC §10, delivery/handshake.h) with the webhook's URL as it is in `webhook`.
  [[nodiscard]] Result<HandshakeOutcome> SendHandshake(const Webhook& webhook);
  // After the stored webhook's handshake: records it verified when the endpoint echoed; else it stays as stored.
  [[nodiscard]] Result<Webhook> ApplyHandshake(const Webhook& stored, const HandshakeOutcome& outcome, const Actor& by);
  [[nodiscard]] Delivery WithLiveStatus(Delivery delivery) const;
  // Pings a webhook's URL (SPEC §3's reachability check): 422 endpoint_unreachable when no response arrives.
  [[nodiscard]] Status CheckReachable(const Webhook& webhook);
  // Stores events and answers 202 once they are durable (single: the event; batch: {"data": [...]}).
  void AcceptEventsAndRespond(std::vector<NewEvent> inputs, bool batch, Respond respond);
  // Runs a bulk operation page by page (each page its own transaction) and schedules what each page produced.
  [[nodiscard]] Result<int64_t> RunInPages(const std::function<Result<BulkChunk>(const std::string& after)>& page);
  [[nodiscard]] HttpResponse RenderStats(const HttpRequest& request, const std::string& account_id,
                                         const std::string& webhook_id);

  const Config& config_;
  std::string admin_token_;
  Store& store_;
  DeliveryWork& work_;
  OutboundSender& sender_;
  const InFlightLookup& in_flight_;
  EventCatalog& catalog_;
  Metrics& metrics_;
  const Clock& clock_;
  ApiRateLimiter rate_limiter_;
  CredentialCache credentials_;
  std::atomic<int> outbound_waits_{0};
  const HeaderList ui_headers_;  // UiSecurityHeaders of this server's --portal-allowed-origins
  Router router_;
  // Per route, parallel to router_.Routes(): who may call it, and its handler.
  std::vector<RouteTarget> targets_;
};

// Parses ?limit= and ?cursor= (SPEC §3: limit 1..1000, default 50).
[[nodiscard]] Result<PageRequest> ParsePageRequest(const HttpRequest& request, std::string_view id_prefix);
// Parses an optional RFC 3339 (or relative duration, before `now_ms`) query parameter.
[[nodiscard]] Result<std::optional<int64_t>> ParseTimeQuery(const HttpRequest& request, const std::string& name,
                                                            int64_t now_ms);
// ?since= and ?until= of a list, each optional.
struct TimeRangeQuery {
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
};
[[nodiscard]] Result<TimeRangeQuery> ParseTimeRangeQuery(const HttpRequest& request, int64_t now_ms);

}  // namespace hookd
