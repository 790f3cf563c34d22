// The SSRF guard's address ranges, Retry-After parsing, and the exact request of a delivery attempt.
#include <gtest/gtest.h>

#include "common/json.h"
#include "common/version.h"
#include "crypto/signing.h"
#include "delivery/http_client.h"
#include "delivery/request_builder.h"
#include "delivery/ssrf_guard.h"
#include "domain/header_list.h"

namespace hookd {
namespace {

TEST(SsrfGuard, BlocksPrivateAndSpecialRanges) {
  for (const char* ip : {"127.0.0.1",
                         "127.255.0.9",
                         "10.1.2.3",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.168.1.1",
                         "169.254.169.254",
                         "100.64.0.1",
                         "0.0.0.0",
                         "224.0.0.1",
                         "255.255.255.255",
                         "::1",
                         "::",
                         "fc00::1",
                         "fd12:3456::1",
                         "fe80::1",
                         "ff02::1",
                         "::ffff:127.0.0.1",
                         "::ffff:10.0.0.1",
                         "64:ff9b::a9fe:a9fe",
                         "not-an-ip"}) {
    EXPECT_TRUE(IsBlockedAddressText(ip)) << ip;
  }
}

TEST(SsrfGuard, AllowsPublicAddresses) {
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(IsBlockedAddressText(ip)) << ip;
  }
}

TEST(RetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfterMs("120", 0), 120'000);
  EXPECT_EQ(ParseRetryAfterMs(" 5 ", 0), 5'000);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000), 10'000);
  EXPECT_FALSE(ParseRetryAfterMs("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("", 0).has_value());
  // Found by the config_values fuzzer: curl reads a year of any length, and the milliseconds overflowed.
  EXPECT_FALSE(ParseRetryAfterMs("7:28:-l 24 Oct 2015799999*", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("Wed, 21 Oct 99999999999 07:28:00 GMT", 0).has_value());
}

Webhook SampleWebhook() {
  Webhook w;
  w.id = "wh_1";
  w.url = "https://example.com/hook";
  w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  w.headers = {{"X-Tenant", "42"}};
  return w;
}

Event SampleEvent() {
  Event e;
  e.id = "evt_1";
  e.account_id = "acc_1";
  e.type = "user.created";
  e.created_at_ms = 1614265330123;
  return e;
}

std::string HeaderOf(const OutboundRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<missing>";
}

TEST(RequestBuilder, SignsTheExactBodyBothWays) {
  const Webhook w = SampleWebhook();
  OutboundRequest r = BuildDeliveryRequest(w, SampleEvent(), 3, 1700000000999, 5000);
  EXPECT_EQ(r.url, w.url);
  EXPECT_EQ(r.timeout_ms, 5000);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(r, "User-Agent"), std::string("hookd/") + kVersion);
  EXPECT_EQ(HeaderOf(r, "webhook-id"), "evt_1");
  EXPECT_EQ(HeaderOf(r, "webhook-timestamp"), "1700000000");
  EXPECT_TRUE(VerifyStandardWebhooksSignature(w.secret, "evt_1", 1700000000, r.body, HeaderOf(r, "webhook-signature")));
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Signature"), SeedSignature(w.secret, r.body));
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Id"), "wh_1");
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Event"), "user.created");
  EXPECT_EQ(HeaderOf(r, "X-Webhook-Attempt"), "3");
  EXPECT_EQ(HeaderOf(r, "X-Tenant"), "42");
}

TEST(RequestBuilder, KeysPreparedOnceSignEveryRequestLikeFreshOnes) {
  Webhook w = SampleWebhook();
  w.previous_secret = GenerateWebhookSecret();
  w.previous_secret_expires_at_ms = 1700000000000 + 1000;
  DeliverySigningKeys keys(w);
  Event other = SampleEvent();
  other.id = "evt_2";
  other.data_json = R"({"another":"payload"})";
  for (const Event& e : {SampleEvent(), other, SampleEvent()}) {
    for (int64_t now : {int64_t{1700000000000}, int64_t{1700000005000}}) {  // inside and after the grace period
      const OutboundRequest reused = BuildDeliveryRequest(w, keys, e, 1, now, 5000);
      const OutboundRequest fresh = BuildDeliveryRequest(w, e, 1, now, 5000);
      EXPECT_EQ(reused.headers, fresh.headers);
      EXPECT_EQ(reused.body, fresh.body);
    }
  }
}

TEST(RequestBuilder, RotationGracePeriodCarriesBothSignatures) {
  Webhook w = SampleWebhook();
  w.previous_secret = w.secret;
  w.secret = GenerateWebhookSecret();
  w.previous_secret_expires_at_ms = 1700000000000 + 1000;
  OutboundRequest during = BuildDeliveryRequest(w, SampleEvent(), 1, 1700000000000, 5000);
  const std::string header = HeaderOf(during, "webhook-signature");
  EXPECT_EQ(std::count(header.begin(), header.end(), ' '), 1);
  EXPECT_TRUE(VerifyStandardWebhooksSignature(w.secret, "evt_1", 1700000000, during.body, header));
  EXPECT_TRUE(VerifyStandardWebhooksSignature(w.previous_secret, "evt_1", 1700000000, during.body, header));
  OutboundRequest after = BuildDeliveryRequest(w, SampleEvent(), 1, 1700000002000, 5000);
  EXPECT_FALSE(VerifyStandardWebhooksSignature(w.previous_secret, "evt_1", 1700000002, after.body,
                                               HeaderOf(after, "webhook-signature")));
}

TEST(RequestBuilder, HeadersAsJsonEscapeAndKeepTheLastOfARepeatedName) {
  EXPECT_EQ(HeadersToJsonObject({}), "{}");
  const std::string text = HeadersToJsonObject(
      {{"set-cookie", "a=1"}, {"x-quote", "say \"hi\"\\\n\x01"}, {"set-cookie", "b=2"}, {"x-utf8", "caf\xc3\xa9"}});
  const json::object parsed = json::parse(text).as_object();
  EXPECT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed.at("set-cookie").as_string(), "b=2");
  EXPECT_EQ(parsed.at("x-quote").as_string(), "say \"hi\"\\\n\x01");
  EXPECT_EQ(parsed.at("x-utf8").as_string(), "caf\xc3\xa9");
}

}  // namespace
}  // namespace hookd
