// Pure parts of the API layer: routing precedence and errors, target parsing, the API rate limiter's headers,
// and the credential cache's expiry.
#include <gtest/gtest.h>

#include "api/credential_cache.h"
#include "api/http_types.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "common/utf8.h"

namespace hookd {
namespace {

Router SampleRouter() {
  Router r;
  r.Add("GET", "/api/v1/webhooks", "list");                      // 0
  r.Add("GET", "/api/v1/webhooks/{id}", "get");                  // 1
  r.Add("GET", "/api/v1/webhooks/events/available", "catalog");  // 2
  r.Add("POST", "/api/v1/webhooks/{id}/test", "test");           // 3
  return r;
}

TEST(Router, LiteralSegmentsWinOverParameters) {
  Router r = SampleRouter();
  EXPECT_EQ(r.Find("GET", "/api/v1/webhooks/events/available")->route_index, 2u);
  auto m = r.Find("GET", "/api/v1/webhooks/wh_1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->route_index, 1u);
  EXPECT_EQ(m->params.at("id"), "wh_1");
  EXPECT_EQ(r.Find("GET", "/api/v1/webhooks/")->route_index, 0u);  // a trailing slash is ignored
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405) {
  Router r = SampleRouter();
  auto missing = r.Find("GET", "/api/v1/nothing");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().HttpStatus(), 404);
  auto wrong = r.Find("DELETE", "/api/v1/webhooks/wh_1/test");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().HttpStatus(), 405);
  EXPECT_FALSE(r.Find("GET", "/api/v1/webhooks//test").has_value());  // an empty segment is no id
  EXPECT_FALSE(r.Find("GET", "relative").has_value());
}

TEST(HttpTypes, TargetParsingDecodesQueries) {
  HttpRequest req;
  ASSERT_TRUE(ParseTarget("/api/v1/events?type=task.completed&since=2026-01-01T00%3A00%3A00Z&x=1&x=2", req));
  EXPECT_EQ(req.path, "/api/v1/events");
  EXPECT_EQ(*req.Query("since"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(*req.Query("x"), "2");
  EXPECT_EQ(req.Query("missing"), nullptr);
  HttpRequest bad;
  EXPECT_FALSE(ParseTarget("no-slash", bad));
}

TEST(HttpTypes, ErrorEnvelope) {
  HttpResponse r = ErrorResponse(Error::Invalid("url", "must use https://"));
  EXPECT_EQ(r.status, 422);
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body["error"].as_object()["code"], "validation_failed");
  EXPECT_EQ(body["error"].as_object()["details"].as_array()[0].as_object()["field"], "url");
}

TEST(HttpTypes, ResponsesThatEchoBytesThatAreNotUtf8AreValidUtf8Json) {
  HttpResponse r = ErrorResponse(Error::NotFound("no such path: /api/v1/nope\xff\xc0\xae"));
  EXPECT_TRUE(IsValidUtf8(r.body)) << r.body;
  EXPECT_EQ(json::parse(r.body).as_object()["error"].as_object()["message"],
            "no such path: /api/v1/nope\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  HttpResponse echoed = JsonResponse(200, json::object{{"response_body", "\xed\xa0\x80\n\"quoted\""}});
  EXPECT_TRUE(IsValidUtf8(echoed.body));
  EXPECT_EQ(json::parse(echoed.body).as_object()["response_body"], "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n\"quoted\"");
}

TEST(ApiRateLimiter, BurstIsOneSecondAndHeadersDescribeTheBucket) {
  ApiRateLimiter limiter(3);
  RateLimitDecision d = limiter.Check("key_1", 0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 3);
  EXPECT_EQ(d.remaining, 2);
  EXPECT_TRUE(limiter.Check("key_1", 0).allowed);
  EXPECT_TRUE(limiter.Check("key_1", 0).allowed);
  d = limiter.Check("key_1", 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_s, 1);
  EXPECT_EQ(d.reset_s, 1);
  EXPECT_TRUE(limiter.Check("key_2", 0).allowed);    // per credential
  EXPECT_TRUE(limiter.Check("key_1", 400).allowed);  // 0.4 s refills 1.2 tokens
  EXPECT_FALSE(ApiRateLimiter(0).Enabled());
}

TEST(CredentialCache, EntriesExpireAndClear) {
  CredentialCache cache(1000);
  cache.Put("h1", {"acc_1", "key_1", std::nullopt, INT64_MAX}, 0);
  ASSERT_TRUE(cache.Find("h1", 999).has_value());
  EXPECT_EQ(cache.Find("h1", 999)->account_id, "acc_1");
  EXPECT_FALSE(cache.Find("h1", 1000).has_value());
  cache.Put("h2", {"acc_2", "key_2", PortalAccess::kRead, 500}, 0);
  cache.Clear();
  EXPECT_FALSE(cache.Find("h2", 1).has_value());
}

}  // namespace
}  // namespace hookd
