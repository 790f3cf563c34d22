// The delivery rules both stores and the engine share, exhaustively: the verdict on an attempt's response, when a
// delivery is finished and completed, what a manual or bulk retry may reopen and what reopening does, what a replay
// reaches, the webhook cap, the idempotency and portal-session windows; and the shared store values: a delivery's
// row after an attempt, bulk pages, pages, counts of webhooks, the id bound of a time, and event matching's cache.
#include "domain/delivery_rules.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "domain/retry_policy.h"
#include "store/match_cache.h"
#include "store/row_values.h"

namespace hookd {
namespace {

TEST(DecideOutcome, EachKindOfResponseLeadsWhereTheScheduleSays) {
  const RetryPolicy policy({10'000, 60'000});
  const int64_t now = 1'000'000;
  for (int status : {200, 201, 204, 299}) {
    const AttemptVerdict v = DecideOutcome(status, 5'000, 1, policy, 0.5, now);
    EXPECT_EQ(v.status, DeliveryStatus::kSucceeded) << status;
    EXPECT_FALSE(v.next_attempt_at_ms.has_value());
    EXPECT_FALSE(v.gone);
  }
  const AttemptVerdict gone = DecideOutcome(410, std::nullopt, 1, policy, 0.5, now);
  EXPECT_EQ(gone.status, DeliveryStatus::kDead);
  EXPECT_TRUE(gone.gone);
  for (std::optional<int> status : {std::optional<int>(500), std::optional<int>(404), std::optional<int>(301),
                                    std::optional<int>()}) {  // an error, a redirect, no response at all
    const AttemptVerdict first = DecideOutcome(status, std::nullopt, 1, policy, 0.5, now);
    EXPECT_EQ(first.status, DeliveryStatus::kFailed);
    EXPECT_EQ(first.next_attempt_at_ms, now + 10'000);  // the middle of the jitter
    EXPECT_FALSE(first.gone);
    EXPECT_EQ(DecideOutcome(status, std::nullopt, 2, policy, 0.0, now).next_attempt_at_ms, now + 54'000);
    EXPECT_EQ(DecideOutcome(status, std::nullopt, 3, policy, 0.5, now).status, DeliveryStatus::kDead);  // the last
  }
  // Retry-After stretches the wait on 429/502/503/504 only, and never past twice the scheduled delay.
  EXPECT_EQ(DecideOutcome(429, 15'000, 1, policy, 0.5, now).next_attempt_at_ms, now + 15'000);
  EXPECT_EQ(DecideOutcome(503, 3'600'000, 1, policy, 0.5, now).next_attempt_at_ms, now + 20'000);
  EXPECT_EQ(DecideOutcome(500, 15'000, 1, policy, 0.5, now).next_attempt_at_ms, now + 10'000);
  EXPECT_EQ(DecideOutcome(std::nullopt, 15'000, 1, policy, 0.5, now).next_attempt_at_ms, now + 10'000);
}

TEST(DeliveryRules, FinishedMeansSucceededOrDeadAndCompletesWhenItsAttemptEnds) {
  Attempt a;
  a.started_at_ms = 1'000;
  a.response_time_ms = 250;
  for (DeliveryStatus s : {DeliveryStatus::kPending, DeliveryStatus::kDelivering, DeliveryStatus::kFailed}) {
    EXPECT_FALSE(IsFinished(s));
    EXPECT_FALSE(CompletedAt(s, a).has_value());
  }
  for (DeliveryStatus s : {DeliveryStatus::kSucceeded, DeliveryStatus::kDead}) {
    EXPECT_TRUE(IsFinished(s));
    EXPECT_EQ(CompletedAt(s, a), 1'250);
  }
}

TEST(DeliveryRules, OnlyFailedAndDeadDeliveriesAreReopened) {
  EXPECT_TRUE(CheckReopenable(DeliveryStatus::kFailed).has_value());
  EXPECT_TRUE(CheckReopenable(DeliveryStatus::kDead).has_value());
  EXPECT_EQ(CheckReopenable(DeliveryStatus::kSucceeded).error().code, "delivery_succeeded");
  EXPECT_EQ(CheckReopenable(DeliveryStatus::kPending).error().code, "delivery_pending");
  EXPECT_EQ(CheckReopenable(DeliveryStatus::kDelivering).error().code, "delivery_pending");
  EXPECT_EQ(CheckReopenable(DeliveryStatus::kSucceeded).error().HttpStatus(), 409);
  using enum DeliveryStatus;
  EXPECT_EQ(ReopenableStatuses({kSucceeded, kDead, kPending, kFailed, kDead}), (std::vector{kFailed, kDead}));
  EXPECT_TRUE(ReopenableStatuses({kSucceeded, kPending, kDelivering}).empty());

  Delivery d;
  d.status = kDead;
  d.attempt_count = 4;
  d.completed_at_ms = 10;
  d.latency_ms = 7;
  Reopen(d, 99);
  EXPECT_EQ(d.status, kPending);
  EXPECT_EQ(d.next_attempt_at_ms, 99);
  EXPECT_FALSE(d.completed_at_ms.has_value());
  EXPECT_FALSE(d.latency_ms.has_value());
  EXPECT_EQ(d.attempt_count, 4);
}

TEST(DeliveryRules, AReplayReachesByEnvironmentAndPatternEvenWhenTheWebhookIsOff) {
  Webhook w;
  w.environment = "production";
  w.events = {"task.*"};
  w.active = false;
  Event e;
  e.environment = "production";
  e.type = "task.completed";
  EXPECT_TRUE(ReplayReaches(w, e));
  e.type = "user.created";
  EXPECT_FALSE(ReplayReaches(w, e));
  e.type = "task.completed";
  e.environment = "staging";
  EXPECT_FALSE(ReplayReaches(w, e));
}

TEST(DeliveryRules, CapsAndWindows) {
  EXPECT_TRUE(CheckWebhookCap(99, 100).has_value());
  EXPECT_EQ(CheckWebhookCap(100, 100).error().code, "too_many_webhooks");
  EXPECT_EQ(CheckWebhookCap(100, 100).error().HttpStatus(), 409);
  EXPECT_EQ(IdempotencyKeysHeldSince(kIdempotencyWindowMs + 5), 5);
  EXPECT_EQ(PortalSessionsKeptSince(kExpiredPortalSessionKeepMs + 5), 5);
  EXPECT_EQ(EventTypeExists().code, "already_exists");
}

TEST(StoreValues, ADeliverysRowAfterAnAttempt) {
  AttemptRecord r;
  r.attempt.delivery_id = "dlv_1";
  r.attempt.number = 3;
  r.attempt.started_at_ms = 1'000;
  r.attempt.response_time_ms = 40;
  r.attempt.response_status = 200;
  r.new_status = DeliveryStatus::kSucceeded;
  r.latency_ms = 900;
  OutcomeValues o = OutcomeOf(r);
  EXPECT_EQ(o.delivery_id, "dlv_1");
  EXPECT_EQ(o.attempt_count, 3);
  EXPECT_EQ(o.completed_at_ms, 1'040);
  EXPECT_EQ(o.latency_ms, 900);
  EXPECT_EQ(o.response_status, 200);
  r.new_status = DeliveryStatus::kFailed;
  r.next_attempt_at_ms = 5'000;
  r.attempt.error = "timeout";
  o = OutcomeOf(r);
  EXPECT_FALSE(o.completed_at_ms.has_value());
  EXPECT_EQ(o.next_attempt_at_ms, 5'000);
  EXPECT_EQ(o.error, "timeout");
}

TEST(StoreValues, PagesBulkPagesCountsAndIdBounds) {
  BulkChunk chunk;
  EndBulkPage(chunk, 3, "dlv_c", 3);
  EXPECT_EQ(chunk.next_after, "dlv_c");  // full: there may be more
  EndBulkPage(chunk, 2, "dlv_b", 3);
  EXPECT_TRUE(chunk.next_after.empty());
  EXPECT_EQ(chunk.scanned, 2);

  struct Row {
    std::string id;
  };
  Page<Row> page = MakePage(std::vector<Row>{{"c"}, {"b"}, {"a"}}, 2);
  ASSERT_EQ(page.data.size(), 2u);
  EXPECT_EQ(page.next_cursor, "b");
  EXPECT_FALSE(MakePage(std::vector<Row>{{"a"}}, 2).next_cursor.has_value());

  std::array<int64_t, 3> counts{};
  CountWebhooks(counts, "healthy", 4);
  CountWebhooks(counts, "disabled", 2);
  CountWebhooks(counts, "unknown", 9);
  EXPECT_EQ(counts, (std::array<int64_t, 3>{4, 0, 2}));

  EXPECT_EQ(LowestIdAt("dlv_", 1'700'000'000'000), "dlv_" + EncodeUlid(1'700'000'000'000, 0, 0));
  EXPECT_EQ(LowestIdAt("evt_", -5), "evt_" + EncodeUlid(0, 0, 0));
  EXPECT_LT(LowestIdAt("dlv_", 1'700'000'000'000), NewId("dlv_"));
}

TEST(MatchCache, MatchesFromMemoryUntilForgottenOrWebhooksChangeElsewhere) {
  MatchCache cache;
  EXPECT_EQ(cache.Find("acc_1"), nullptr);
  const auto& targets = cache.Put("acc_1", {{"wh_a", true, "production", {"task.*"}},
                                            {"wh_b", false, "production", {"*"}},
                                            {"wh_c", true, "staging", {"*"}},
                                            {"wh_d", true, "production", {"task.completed"}}});
  Event e;
  e.environment = "production";
  e.type = "task.completed";
  EXPECT_EQ(MatchCache::Receivers(targets, e), (std::vector<std::string>{"wh_a", "wh_d"}));
  EXPECT_NE(cache.Find("acc_1"), nullptr);
  cache.Forget("acc_1");
  EXPECT_EQ(cache.Find("acc_1"), nullptr);
  cache.Put("acc_1", {});
  cache.Follow(1);  // another process changed webhooks
  EXPECT_EQ(cache.Find("acc_1"), nullptr);
  cache.Put("acc_1", {});
  cache.Follow(1);  // nothing new
  EXPECT_NE(cache.Find("acc_1"), nullptr);
}

}  // namespace
}  // namespace hookd
