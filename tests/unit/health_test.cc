// The circuit breaker and auto-disable counters (pure state machine), and the alert email's text.
#include <gtest/gtest.h>

#include "delivery/alerter.h"
#include "delivery/webhook_health.h"

namespace hookd {
namespace {

CircuitSettings Settings() {
  return CircuitSettings{3, 1000, 4000, 2};
}

TEST(WebhookHealth, OpensAfterThresholdConsecutiveFailures) {
  WebhookHealth h(Settings());
  EXPECT_FALSE(h.OnAttempt(false, 0));
  EXPECT_FALSE(h.OnAttempt(false, 0));
  EXPECT_TRUE(h.MayAttempt(0, 0));
  EXPECT_TRUE(h.OnAttempt(false, 100));  // third: opens
  EXPECT_EQ(h.circuit(), CircuitState::kOpen);
  EXPECT_EQ(h.open_until_ms(), 1100);
  EXPECT_FALSE(h.MayAttempt(1099, 0));
}

TEST(WebhookHealth, ASuccessResetsTheFailureCount) {
  WebhookHealth h(Settings());
  h.OnAttempt(false, 0);
  h.OnAttempt(false, 0);
  h.OnAttempt(true, 0);
  h.OnAttempt(false, 0);
  h.OnAttempt(false, 0);
  EXPECT_EQ(h.circuit(), CircuitState::kClosed);
}

TEST(WebhookHealth, HalfOpenProbeDoublesCooldownUpToTheCapThenCloses) {
  WebhookHealth h(Settings());
  for (int i = 0; i < 3; ++i) h.OnAttempt(false, 0);
  EXPECT_TRUE(h.MayAttempt(1000, 0));  // cooldown over: one probe
  EXPECT_EQ(h.circuit(), CircuitState::kHalfOpen);
  EXPECT_FALSE(h.MayAttempt(1000, 1));  // only one probe in flight
  EXPECT_TRUE(h.OnAttempt(false, 1000));
  EXPECT_EQ(h.open_until_ms(), 3000);  // 2 s
  EXPECT_TRUE(h.MayAttempt(3000, 0));
  h.OnAttempt(false, 3000);
  EXPECT_EQ(h.open_until_ms(), 7000);  // 4 s (the cap)
  EXPECT_TRUE(h.MayAttempt(7000, 0));
  h.OnAttempt(false, 7000);
  EXPECT_EQ(h.open_until_ms(), 11000);  // still 4 s
  EXPECT_TRUE(h.MayAttempt(11000, 0));
  EXPECT_TRUE(h.OnAttempt(true, 11000));
  EXPECT_EQ(h.circuit(), CircuitState::kClosed);
}

TEST(WebhookHealth, OpenCircuitWaitsForInFlightAttemptsBeforeProbing) {
  WebhookHealth h(Settings());
  for (int i = 0; i < 3; ++i) h.OnAttempt(false, 0);
  EXPECT_FALSE(h.MayAttempt(5000, 2));
  EXPECT_EQ(h.circuit(), CircuitState::kOpen);
}

TEST(WebhookHealth, DisableAfterConsecutiveDeadDeliveries) {
  WebhookHealth h(Settings());
  EXPECT_FALSE(h.OnDead());
  h.OnDeliverySucceeded();
  EXPECT_FALSE(h.OnDead());
  EXPECT_TRUE(h.OnDead());
  h.Reset();
  EXPECT_FALSE(h.OnDead());
  WebhookHealth never(CircuitSettings{3, 1000, 4000, 0});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(never.OnDead());
}

TEST(WebhookHealth, RestoredOpenCircuitWaitsOneCooldown) {
  WebhookHealth h(Settings());
  h.RestoreOpen(500);
  EXPECT_EQ(h.circuit(), CircuitState::kOpen);
  EXPECT_FALSE(h.MayAttempt(1499, 0));
  EXPECT_TRUE(h.MayAttempt(1500, 0));
}

TEST(Alerter, DisabledAlertNamesTheWebhookAndCannotBeHeaderInjected) {
  Webhook w;
  w.id = "wh_1";
  w.url = "https://example.com/hook";
  w.name = "Sync\r\nBcc: victim@example.com";
  const std::string m = BuildDisabledAlert({"smtp://x", "alerts@hookd.test"}, "ops@acme.test", w, "410 Gone", 0);
  EXPECT_NE(m.find("From: hookd <alerts@hookd.test>\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: <ops@acme.test>\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: [hookd] Webhook disabled: Sync  Bcc: victim@example.com (https://example.com/hook)\r\n"),
            std::string::npos);
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(m.find("Reason: 410 Gone"), std::string::npos);
  EXPECT_NE(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000"), std::string::npos);
}

}  // namespace
}  // namespace hookd
