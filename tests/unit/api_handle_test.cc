// Api::Handle, the whole request → response function, without sockets: the access rules (Authorize) exhaustively
// as a table, then every registered route called by every kind of caller — nobody, a bad token, an account's key, a
// portal session with manage or read access, an expired one, the admin — each answered as its route's class says;
// tenants never see each other's things (404, not 403); the API rate limit answers 429 with Retry-After; work and
// changes reach the engine, and `delivering` comes from the in-flight lookup. A real SQLite store in a temporary
// directory; the engine, the sender, the in-flight lookup and the clock are fakes.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>

#include "api/api.h"
#include "common/ids.h"
#include "crypto/signing.h"
#include "fakes/fake_api_ports.h"
#include "samples.h"
#include "store/sqlite/sqlite_store.h"
#include "test_dir.h"

namespace hookd {
namespace {

// ---- Authorize, the pure rule ----

enum class Caller { kNobody, kTheAdmin, kKey, kPortalManage, kPortalRead };

Result<Principal> PrincipalFor(Caller caller) {
  switch (caller) {
    case Caller::kNobody:
      return Fail(Error::Unauthorized("missing bearer token"));
    case Caller::kTheAdmin:
      return Principal{true, "", "admin", std::nullopt};
    case Caller::kKey:
      return Principal{false, "acc_1", "key_1", std::nullopt};
    case Caller::kPortalManage:
      return Principal{false, "acc_1", "ps_1", PortalAccess::kManage};
    case Caller::kPortalRead:
      return Principal{false, "acc_1", "ps_1", PortalAccess::kRead};
  }
  return Fail(Error::Internal("unreachable"));
}

// The status and code Authorize answers, or 0 when it allows the call.
std::pair<int, std::string> Decision(Access route, Caller caller, const char* method) {
  auto st = Authorize(route, PrincipalFor(caller), method);
  if (st) return {0, ""};
  return {st.error().HttpStatus(), st.error().code};
}

TEST(Authorize, EveryCallerOnEveryRouteClassAndMethod) {
  using enum Access;
  using enum Caller;
  const std::pair<int, std::string> ok{0, ""}, unauthorized{401, "unauthorized"}, forbidden{403, "forbidden"},
      read_only{403, "read_only"};
  struct Row {
    Access route;
    Caller caller;
    std::pair<int, std::string> get, post;
  };
  const Row table[] = {
      {kPublic, kNobody, ok, ok},
      {kPublic, kTheAdmin, ok, ok},
      {kPublic, kKey, ok, ok},
      {kPublic, kPortalManage, ok, ok},
      {kPublic, kPortalRead, ok, ok},
      {kAccount, kNobody, unauthorized, unauthorized},
      {kAccount, kTheAdmin, ok, ok},
      {kAccount, kKey, ok, ok},
      {kAccount, kPortalManage, ok, ok},
      {kAccount, kPortalRead, ok, read_only},
      {kPlatform, kNobody, unauthorized, unauthorized},
      {kPlatform, kTheAdmin, ok, ok},
      {kPlatform, kKey, ok, ok},
      {kPlatform, kPortalManage, forbidden, forbidden},
      {kPlatform, kPortalRead, forbidden, forbidden},
      {kAdmin, kNobody, unauthorized, unauthorized},
      {kAdmin, kTheAdmin, ok, ok},
      {kAdmin, kKey, unauthorized, unauthorized},
      {kAdmin, kPortalManage, unauthorized, unauthorized},
      {kAdmin, kPortalRead, unauthorized, unauthorized},
  };
  for (const Row& row : table) {
    SCOPED_TRACE(::testing::Message() << "route class " << static_cast<int>(row.route) << ", caller "
                                      << static_cast<int>(row.caller));
    EXPECT_EQ(Decision(row.route, row.caller, "GET"), row.get);
    EXPECT_EQ(Decision(row.route, row.caller, "HEAD"), row.get);
    for (const char* method : {"POST", "PATCH", "DELETE"}) EXPECT_EQ(Decision(row.route, row.caller, method), row.post);
  }
}

// ---- Api::Handle ----

constexpr const char* kAdminToken = "admin-token-0123456789";
constexpr const char* kKeyA = "hk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kKeyB = "hk_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr const char* kManageToken = "hkp_mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm";
constexpr const char* kReadToken = "hkp_rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr";

class ApiHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = sqlite::SqliteStore::Open(dir_.File("hookd.db"), std::string(32, 'k'), std::chrono::milliseconds(0));
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(*store);
    config_.api_rate_limit_per_s = 0;
    config_.allow_http = true;
    config_.allow_private_networks = true;
    account_a_ = NewAccount("a", kKeyA);
    account_b_ = NewAccount("b", kKeyB);
    AddPortalSession(account_a_, kManageToken, PortalAccess::kManage);
    AddPortalSession(account_a_, kReadToken, PortalAccess::kRead);
    webhook_b_ = NewWebhook(account_b_);
  }

  Api& api() {
    if (!api_) api_ = std::make_unique<Api>(config_, kAdminToken, *store_, ports_.Ports());
    return *api_;
  }

  std::string NewAccount(const std::string& name, const std::string& key) {
    const int64_t now = ports_.clock.NowMs();
    Account account{NewId("acc_"), name, name + "@example.test", now, now};
    EXPECT_TRUE(store_->CreateAccount(account, Actor{}).has_value());
    ApiKey k{NewId("key_"), account.id, "default", key.substr(0, 10), now, std::nullopt};
    EXPECT_TRUE(store_->CreateApiKey(k, Sha256Hex(key), Actor{}).has_value());
    return account.id;
  }
  void AddPortalSession(const std::string& account, const std::string& token, PortalAccess access) {
    const int64_t now = ports_.clock.NowMs();
    PortalSession session{NewId("ps_"), account, access, "", now, now + 3'600'000};
    EXPECT_TRUE(store_->CreatePortalSession(session, Sha256Hex(token), Actor{}).has_value());
  }
  std::string NewWebhook(const std::string& account) {
    const Webhook w = testing::SampleWebhook(account, ports_.clock.NowMs());
    EXPECT_TRUE(store_->CreateWebhook(w, 2'000, Actor{}).has_value());
    return w.id;
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    EXPECT_TRUE(ParseTarget(target, request)) << target;
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    if (!body.empty()) {
      request.headers.emplace_back("content-type", "application/json");
      request.body = body;
    }
    request.remote_address = "127.0.0.1";
    std::promise<HttpResponse> answered;
    api().Handle(
        request, [&](HttpResponse r) { answered.set_value(std::move(r)); }, [](std::function<void()> work) { work(); });
    return answered.get_future().get();
  }
  static std::string Code(const HttpResponse& r) {
    if (r.body.empty() || r.body[0] != '{') return "";
    auto body = json::parse(r.body).as_object();
    if (!body.contains("error")) return "";
    return std::string(body["error"].as_object()["code"].as_string());
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  testing::TestDir dir_{"hookd-api-handle-"};
  std::unique_ptr<sqlite::SqliteStore> store_;
  testing::FakeApiPorts ports_;
  Config config_;
  std::unique_ptr<Api> api_;
  std::string account_a_, account_b_, webhook_b_;
};

// A concrete path for a route's pattern: every parameter a well-formed id of another account's (or of nothing).
std::string PathFor(const std::string& pattern, const std::string& account, const std::string& webhook) {
  std::string path = pattern;
  const std::map<std::string, std::string> values = {
      {"{file}", "app.js"}, {"{type}", "billing.custom"}, {"{key_id}", "key_01HZZZZZZZZZZZZZZZZZZZZZZZ"}};
  for (const auto& [param, value] : values) {
    if (auto at = path.find(param); at != std::string::npos) path.replace(at, param.size(), value);
  }
  if (auto at = path.find("{account_id}"); at != std::string::npos) path.replace(at, 12, account);
  if (auto at = path.find("{id}"); at != std::string::npos) {
    std::string id = "evt_01HZZZZZZZZZZZZZZZZZZZZZZZ";
    if (pattern.starts_with("/api/v1/accounts/")) id = account;
    if (pattern.starts_with("/api/v1/webhooks/")) id = webhook;
    if (pattern.starts_with("/api/v1/deliveries/")) id = "dlv_01HZZZZZZZZZZZZZZZZZZZZZZZ";
    if (pattern.starts_with("/api/v1/portal-sessions/")) id = "ps_01HZZZZZZZZZZZZZZZZZZZZZZZ";
    if (pattern.starts_with("/api/v1/operational-webhooks/")) id = "ow_01HZZZZZZZZZZZZZZZZZZZZZZZ";
    path.replace(at, 4, id);
  }
  return path;
}

// Who may call a route, as SPEC §3 says: operations, the document and the UI are public; accounts, keys and custom
// event types are the admin's; emitting events, opening or revoking portal sessions, editing the account and
// operational webhooks are the platform's (a key or the admin, never a portal session); everything else is an
// account's.
Access SpecAccess(const std::string& method, const std::string& pattern) {
  const std::set<std::string> public_paths = {"/healthz",   "/readyz",
                                              "/metrics",   "/api/v1/openapi.json",
                                              "/",          "/settings/webhooks",
                                              "/ui/{file}", "/.well-known/hookd/{account_id}/jwks.json"};
  if (public_paths.contains(pattern)) return Access::kPublic;
  if (pattern.starts_with("/api/v1/accounts")) return Access::kAdmin;
  if (pattern.starts_with("/api/v1/event-types") && method != "GET") return Access::kAdmin;
  if (pattern.starts_with("/api/v1/events") && method == "POST" && !pattern.ends_with("/replay")) {
    return Access::kPlatform;
  }
  if (pattern == "/api/v1/portal-sessions" || (pattern == "/api/v1/portal-sessions/{id}" && method == "DELETE")) {
    return Access::kPlatform;
  }
  if (pattern == "/api/v1/account" && method == "PATCH") return Access::kPlatform;
  if (pattern.starts_with("/api/v1/operational-webhooks")) return Access::kPlatform;
  return Access::kAccount;
}

TEST_F(ApiHandleTest, EveryRouteAnswersEachCallerAsItsClassSays) {
  const std::map<Caller, std::string> tokens = {{Caller::kNobody, ""},
                                                {Caller::kTheAdmin, kAdminToken},
                                                {Caller::kKey, kKeyA},
                                                {Caller::kPortalManage, kManageToken},
                                                {Caller::kPortalRead, kReadToken}};
  const auto& routes = api().Routes();
  ASSERT_GT(routes.size(), 40u);
  for (size_t i = 0; i < routes.size(); ++i) {
    const Router::Route& route = routes[i];
    const Access access = api().AccessOf(i);
    EXPECT_EQ(access, SpecAccess(route.method, route.pattern)) << route.method << " " << route.pattern;
    if (route.method == "DELETE" && route.pattern == "/api/v1/accounts/{id}") continue;  // would end the fixture
    for (const auto& [caller, token] : tokens) {
      SCOPED_TRACE(route.method + " " + route.pattern + " as caller " + std::to_string(static_cast<int>(caller)));
      const std::string path = PathFor(route.pattern, account_b_, webhook_b_);
      const HttpResponse r = Call(route.method, path, token, route.method == "GET" ? "" : "{}");
      EXPECT_LT(r.status, 500) << r.body;
      auto expected = Authorize(access, PrincipalFor(caller), route.method);
      if (!expected) {
        EXPECT_EQ(r.status, expected.error().HttpStatus()) << r.body;
        EXPECT_EQ(Code(r), expected.error().code) << r.body;
        EXPECT_EQ(Header(r, "WWW-Authenticate"), caller == Caller::kNobody ? "Bearer" : "");
      } else {
        EXPECT_NE(r.status, 401) << r.body;
        EXPECT_NE(r.status, 403) << r.body;
      }
    }
  }
}

TEST_F(ApiHandleTest, AnotherAccountsThingsAreNotFoundNeverForbidden) {
  for (const std::string& path :
       {"/api/v1/webhooks/" + webhook_b_, "/api/v1/webhooks/" + webhook_b_ + "/secret",
        "/api/v1/webhooks/" + webhook_b_ + "/deliveries", "/api/v1/webhooks/" + webhook_b_ + "/stats"}) {
    for (const char* token : {kKeyA, kManageToken, kReadToken}) {
      const HttpResponse r = Call("GET", path, token);
      EXPECT_EQ(r.status, 404) << path << " " << r.body;
    }
    EXPECT_EQ(Call("GET", path, kKeyB).status, 200) << path;  // its own account sees it
  }
  EXPECT_EQ(Call("PATCH", "/api/v1/webhooks/" + webhook_b_, kKeyA, R"({"name":"mine now"})").status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/webhooks/" + webhook_b_, kKeyA).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/webhooks/" + webhook_b_, kKeyB).status, 200);  // untouched
}

TEST_F(ApiHandleTest, AnExpiredPortalSessionIsRefusedAsExpired) {
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kReadToken).status, 200);
  ports_.clock.Advance(3'600'001);
  const HttpResponse r = Call("GET", "/api/v1/webhooks", kReadToken);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Code(r), "session_expired");
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kKeyA).status, 200);  // keys do not expire
}

TEST_F(ApiHandleTest, TheRateLimitAnswers429WithRetryAfterPerCredential) {
  config_.api_rate_limit_per_s = 2;
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kKeyA).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kKeyA).status, 200);
  const HttpResponse limited = Call("GET", "/api/v1/webhooks", kKeyA);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Code(limited), "rate_limited");
  EXPECT_GE(std::stoi(Header(limited, "Retry-After")), 1);
  EXPECT_EQ(Header(limited, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kKeyB).status, 200);  // another credential's bucket is its own
  ports_.clock.Advance(1'000);
  EXPECT_EQ(Call("GET", "/api/v1/webhooks", kKeyA).status, 200);
}

TEST_F(ApiHandleTest, ChangesReachTheEngineAndDeliveringComesFromTheInFlightLookup) {
  const HttpResponse created =
      Call("POST", "/api/v1/webhooks", kKeyA, R"({"url":"https://receiver.example/a","events":["*"],"name":"a"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(json::parse(created.body).as_object()["id"].as_string());
  EXPECT_EQ(ports_.sender.sent.size(), 1u);  // the reachability ping
  EXPECT_EQ(Call("PATCH", "/api/v1/webhooks/" + id, kKeyA, R"({"active":false})").status, 200);
  EXPECT_NE(std::ranges::find(ports_.work.changed_webhooks, id), ports_.work.changed_webhooks.end());

  ASSERT_EQ(Call("PATCH", "/api/v1/webhooks/" + id, kKeyA, R"({"active":true})").status, 200);
  const HttpResponse emitted = Call("POST", "/api/v1/events", kKeyA, R"({"type":"task.completed","data":{"n":1}})");
  ASSERT_EQ(emitted.status, 202) << emitted.body;
  ASSERT_EQ(ports_.work.enqueued.size(), 1u);
  const std::string delivery = ports_.work.enqueued[0];
  EXPECT_EQ(json::parse(Call("GET", "/api/v1/deliveries/" + delivery, kKeyA).body).as_object()["status"], "pending");
  ports_.in_flight.ids.insert(delivery);
  EXPECT_EQ(json::parse(Call("GET", "/api/v1/deliveries/" + delivery, kKeyA).body).as_object()["status"], "delivering");
}

TEST_F(ApiHandleTest, AReplayToEveryWebhookReachesEachMatchingOneHoweverManyPagesTheyTake) {
  std::set<std::string> matching;
  for (int i = 0; i < 1'001; ++i) matching.insert(NewWebhook(account_a_));
  Webhook staging = testing::SampleWebhook(account_a_, ports_.clock.NowMs());
  staging.environment = "staging";  // another environment: not replayed to
  ASSERT_TRUE(store_->CreateWebhook(staging, 2'000, Actor{}).has_value());
  const HttpResponse emitted = Call("POST", "/api/v1/events", kKeyA, R"({"type":"task.completed","data":{}})");
  ASSERT_EQ(emitted.status, 202) << emitted.body;
  const std::string event(json::parse(emitted.body).as_object()["id"].as_string());
  ports_.work.enqueued.clear();

  const HttpResponse replayed = Call("POST", "/api/v1/events/" + event + "/replay", kKeyA, "{}");
  ASSERT_EQ(replayed.status, 202) << replayed.body.substr(0, 300);
  std::set<std::string> reached;
  const json::value body = json::parse(replayed.body);
  for (const auto& d : body.at("data").as_array()) {
    reached.insert(std::string(d.as_object().at("webhook_id").as_string()));
  }
  EXPECT_EQ(reached, matching);
  EXPECT_EQ(ports_.work.enqueued.size(), matching.size());
}

}  // namespace
}  // namespace hookd
