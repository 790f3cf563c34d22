// Pure rules: subscription matching, retry delays, payload shapes, webhook field rules, the catalog, token
// buckets.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/json.h"
#include "domain/catalog.h"
#include "domain/event_examples.h"
#include "domain/event_schemas.h"
#include "domain/payload.h"
#include "domain/retry_policy.h"
#include "domain/subscription.h"
#include "domain/token_bucket.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

TEST(Subscription, ExactWildcardAndStar) {
  EXPECT_TRUE(MatchesAnyPattern({"task.completed"}, "task.completed"));
  EXPECT_FALSE(MatchesAnyPattern({"task.completed"}, "task.created"));
  EXPECT_TRUE(MatchesAnyPattern({"task.*"}, "task.created"));
  EXPECT_TRUE(MatchesAnyPattern({"task.*"}, "task.comment.added"));
  EXPECT_FALSE(MatchesAnyPattern({"task.*"}, "tasks.created"));
  EXPECT_FALSE(MatchesAnyPattern({"task.*"}, "task."));
  EXPECT_TRUE(MatchesAnyPattern({"user.created", "*"}, "invoice.paid"));
  EXPECT_FALSE(MatchesAnyPattern({}, "invoice.paid"));
}

TEST(Subscription, OnlyActiveWebhooksOfTheEventsEnvironment) {
  EXPECT_TRUE(WebhookReceives(true, "production", {"*"}, "production", "user.created"));
  EXPECT_FALSE(WebhookReceives(false, "production", {"*"}, "production", "user.created"));
  EXPECT_FALSE(WebhookReceives(true, "staging", {"*"}, "production", "user.created"));
}

TEST(RetryPolicy, AttemptsAreOnePlusDelaysWithTenPercentJitter) {
  RetryPolicy policy({60'000, 300'000});
  EXPECT_EQ(policy.MaxAttempts(), 3);
  EXPECT_EQ(policy.NextDelayMs(1, 0.5), 60'000);
  EXPECT_EQ(policy.NextDelayMs(1, 0.0), 54'000);
  EXPECT_NEAR(static_cast<double>(*policy.NextDelayMs(1, 0.999999)), 66'000, 1);
  EXPECT_EQ(policy.NextDelayMs(2, 0.5), 300'000);
  EXPECT_FALSE(policy.NextDelayMs(3, 0.5).has_value());
  EXPECT_FALSE(RetryPolicy({}).NextDelayMs(1, 0.5).has_value());
}

TEST(RetryPolicy, RetryAfterIsClampedToOneOrTwoScheduleDelays) {
  RetryPolicy policy({10'000});
  EXPECT_EQ(policy.NextDelayMs(1, 0.5, 1'000), 10'000);
  EXPECT_EQ(policy.NextDelayMs(1, 0.5, 15'000), 15'000);
  EXPECT_EQ(policy.NextDelayMs(1, 0.5, 999'000), 20'000);
  EXPECT_TRUE(HonoursRetryAfter(429));
  EXPECT_TRUE(HonoursRetryAfter(503));
  EXPECT_FALSE(HonoursRetryAfter(500));
}

Event SampleEvent() {
  Event e;
  e.id = "evt_1";
  e.account_id = "acc_1";
  e.type = "task.completed";
  e.environment = "production";
  e.data_json = R"({"object":{"id":7}})";
  e.created_at_ms = 1614265330123;
  return e;
}

TEST(Payload, StandardFormat) {
  Event e = SampleEvent();
  EXPECT_EQ(BuildPayload(PayloadFormat::kStandard, e, "wh_1"),
            R"({"id":"evt_1","type":"task.completed","created":"2021-02-25T15:02:10.123Z","account_id":"acc_1",)"
            R"("environment":"production","data":{"object":{"id":7}}})");
  e.metadata_json = R"({"k":"v"})";
  auto parsed = json::parse(BuildPayload(PayloadFormat::kStandard, e, "wh_1")).as_object();
  EXPECT_EQ(parsed["metadata"].as_object()["k"], "v");
}

TEST(Payload, SeedFormats) {
  Event e = SampleEvent();
  EXPECT_EQ(BuildPayload(PayloadFormat::kEventData, e, "wh_1"),
            R"({"event":"task.completed","timestamp":"2021-02-25T15:02:10.123Z","data":{"object":{"id":7}},)"
            R"("webhook_id":"wh_1"})");
  EXPECT_EQ(BuildPayload(PayloadFormat::kEventPayload, e, "wh_1"),
            R"({"event":"task.completed","payload":{"object":{"id":7}},"webhook_id":"wh_1"})");
}

TEST(WebhookRules, Urls) {
  EXPECT_FALSE(CheckWebhookUrl("https://example.com/hook", false).has_value());
  EXPECT_TRUE(CheckWebhookUrl("http://example.com/hook", false).has_value());
  EXPECT_FALSE(CheckWebhookUrl("http://127.0.0.1:9000/hook", true).has_value());
  for (const char* bad :
       {"", "example.com", "ftp://example.com", "https://", "https://exa mple.com", "https://example.com/#frag",
        "javascript:alert(1)", "https://hooks.example:99999/x", "https://hooks.example:0/x", "https://hooks.example:/x",
        "https://[::1]:65536/", "https://hooks.example:4294967739/x"}) {
    EXPECT_TRUE(CheckWebhookUrl(bad, true).has_value()) << bad;
  }
  EXPECT_FALSE(CheckWebhookUrl("https://hooks.example:65535/x", false).has_value());
  EXPECT_FALSE(CheckWebhookUrl("https://hooks.example:1/x", false).has_value());
  EXPECT_TRUE(CheckWebhookUrl("https://example.com/" + std::string(2048, 'a'), false).has_value());
}

TEST(WebhookRules, EnvironmentsAndHeaders) {
  EXPECT_FALSE(CheckEnvironment("production").has_value());
  EXPECT_FALSE(CheckEnvironment("eu-west-2").has_value());
  EXPECT_TRUE(CheckEnvironment("Prod").has_value());
  EXPECT_TRUE(CheckEnvironment(std::string(33, 'a')).has_value());
  EXPECT_FALSE(CheckCustomHeader("X-Api-Key", "abc").has_value());
  for (const char* refused :
       {"Host", "content-length", "Connection", "Transfer-Encoding", "webhook-signature", "X-Webhook-Signature"}) {
    EXPECT_TRUE(CheckCustomHeader(refused, "x").has_value()) << refused;
  }
  EXPECT_TRUE(CheckCustomHeader("Bad Name", "x").has_value());
  EXPECT_TRUE(CheckCustomHeader("X-Ok", "line\r\nInjected: yes").has_value());
}

TEST(Catalog, HoldsTheSeedsEventsAndWildcards) {
  EventCatalog catalog;
  for (const char* type :
       {"license.upgraded",   "trial.converted",  "usage.limit_reached", "activation.failed", "product.created",
        "contract.suspended", "user.login",       "user.role.changed",   "team.member_added", "organization.deleted",
        "workspace.created",  "project.archived", "task.comment.added",  "content.scheduled", "subscription.renewed",
        "payment.refunded",   "invoice.overdue",  "device.offline",      "alert.resolved",    "analytics.ready",
        "webhook.test",       "webhook.ping"}) {
    EXPECT_TRUE(catalog.Contains(type)) << type;
  }
  EXPECT_FALSE(catalog.Contains("task.exploded"));
  EXPECT_TRUE(catalog.IsValidSubscription("*"));
  EXPECT_TRUE(catalog.IsValidSubscription("task.*"));
  EXPECT_FALSE(catalog.IsValidSubscription("nothing.*"));
  catalog.SetCustomTypes({{"invoice.voided", "Billing", "", false}});
  EXPECT_TRUE(catalog.Contains("invoice.voided"));
  EXPECT_FALSE(catalog.IsBuiltIn("invoice.voided"));
  EXPECT_TRUE(IsWellFormedEventType("task.comment.added"));
  EXPECT_FALSE(IsWellFormedEventType("Task.Completed"));
  EXPECT_FALSE(IsWellFormedEventType("task..x"));
  EXPECT_FALSE(IsWellFormedEventType("nodot"));
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  TokenBucket b = TokenBucket::Full(2, 0);
  EXPECT_TRUE(b.TryTake(2, 2, 0));
  EXPECT_TRUE(b.TryTake(2, 2, 0));
  EXPECT_FALSE(b.TryTake(2, 2, 0));
  EXPECT_EQ(b.MsUntilToken(2), 500);
  EXPECT_FALSE(b.TryTake(2, 2, 400));
  EXPECT_TRUE(b.TryTake(2, 2, 500));
  EXPECT_TRUE(b.TryTake(2, 2, 100'000));
  EXPECT_NEAR(b.tokens, 1.0, 1e-9);  // refilled only up to the burst
}

TEST(EventExamples, EveryBuiltInTypeHasAnObjectAboutItsResource) {
  const EventCatalog catalog;
  for (const EventType& t : catalog.All()) {
    const json::value v = ParseJsonOrNull(ExamplePayload(t.type));
    ASSERT_TRUE(v.is_object()) << t.type;
    EXPECT_FALSE(v.as_object().empty()) << t.type;
  }
  const json::value completed = ParseJsonOrNull(ExamplePayload("task.completed"));
  EXPECT_EQ(completed.at("task").at("status"), "done");                  // the action's fields win over the resource's
  EXPECT_EQ(completed.at("task").at("title"), "Write the launch post");  // and the resource's stay
  EXPECT_EQ(ExamplePayload("invoice.unknown_action"), "{}");             // only catalog types
}

TEST(EventSchemas, EveryBuiltInTypeHasOneAndTheActionNarrowsTheResource) {
  for (const EventType& t : EventCatalog().All()) {
    const json::value schema = EventSchema(t.type);
    ASSERT_TRUE(schema.is_object()) << t.type;
    EXPECT_EQ(schema.at("title").as_string(), t.type);
    EXPECT_EQ(schema.at("description").as_string(), t.description);
    EXPECT_FALSE(schema.at("required").as_array().empty()) << t.type;
  }
  const json::value completed = EventSchema("task.completed");
  const json::value& task = completed.at("properties").at("task");
  EXPECT_EQ(task.at("properties").at("status").at("const"), "done");  // the action's narrowing wins
  EXPECT_EQ(task.at("properties").at("id").at("pattern"), "^tsk_[A-Za-z0-9_]+$");
  EXPECT_EQ(task.at("properties").at("completed_at").at("format"), "date-time");  // and what it adds is required
  EXPECT_NE(std::find(task.at("required").as_array().begin(), task.at("required").as_array().end(),
                      json::value("completed_at")),
            task.at("required").as_array().end());
  EXPECT_EQ(EventSchema("task.created").at("properties").at("task").at("properties").at("status").at("enum"),
            (json::array{"open", "done"}));
  EXPECT_TRUE(EventSchema("invoice.unknown_action").is_null());  // only catalog types
}

}  // namespace
}  // namespace hookd
