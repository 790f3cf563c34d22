// Rules both stores apply through the shared domain and store layers, each checked on every backend — including
// those where the backends once differed: a late outcome never changes a finished delivery (its attempt is still
// logged); a reopened delivery comes back due, not completed and without a latency; a webhook of an unknown account
// is refused as not found; an idempotency key is released after its window; a bulk retry only ever touches failed
// and dead deliveries; a deleted webhook's log stays, marked, with what was unfinished ended, until retention; a
// handshake verifies only the URL it went to, and a new URL is unverified again.
#include <gtest/gtest.h>

#include "domain/delivery_rules.h"
#include "store_conformance.h"

namespace hookd {
namespace {

TEST_P(StoreConformance, ALateOutcomeLeavesAFinishedDeliveryAsItIsButItsAttemptIsLogged) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  auto accepted = Accept({Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  const Delivery& d = (*accepted)[0].deliveries.at(0);
  ASSERT_TRUE(Record(d, DeliveryStatus::kSucceeded).has_value());

  AttemptRecord late;  // an attempt that ended after another had already succeeded
  late.attempt.id = NewId("att_");
  late.attempt.delivery_id = d.id;
  late.attempt.number = 2;
  late.attempt.started_at_ms = NowMs();
  late.attempt.response_status = 500;
  late.new_status = DeliveryStatus::kFailed;
  late.next_attempt_at_ms = NowMs() + 60'000;
  std::promise<Status> done;
  store_->RecordAttemptsAsync({late}, [&](Status st, auto) { done.set_value(std::move(st)); });
  ASSERT_TRUE(done.get_future().get().has_value());

  auto read = store_->GetDelivery(account_, d.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(read->attempt_count, 1);
  EXPECT_EQ(read->last_response_status, 200);
  EXPECT_TRUE(read->completed_at_ms.has_value());
  EXPECT_EQ(read->attempts.size(), 2u);
}

TEST_P(StoreConformance, AReopenedDeliveryIsDueNowNotCompletedAndHasNoLatency) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto accepted = Accept({Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  for (const AcceptedEvent& a : *accepted) {
    AttemptRecord r;
    r.attempt.id = NewId("att_");
    r.attempt.delivery_id = a.deliveries.at(0).id;
    r.attempt.number = 1;
    r.attempt.started_at_ms = NowMs();
    r.attempt.response_status = 500;
    r.new_status = DeliveryStatus::kDead;
    r.latency_ms = 42;
    std::promise<Status> done;
    store_->RecordAttemptsAsync({r}, [&](Status st, auto) { done.set_value(std::move(st)); });
    ASSERT_TRUE(done.get_future().get().has_value());
  }
  const int64_t before = NowMs();
  auto chunk = store_->ReopenDeliveries(w->id, {DeliveryStatus::kDead}, 0, NowMs() + 1000, "", 10, nullptr);
  ASSERT_TRUE(chunk.has_value());
  ASSERT_EQ(chunk->deliveries.size(), 2u);
  EXPECT_EQ(chunk->scanned, 2);
  EXPECT_TRUE(chunk->next_after.empty());
  for (const Delivery& d : chunk->deliveries) {
    EXPECT_EQ(d.status, DeliveryStatus::kPending);
    EXPECT_FALSE(d.completed_at_ms.has_value());
    EXPECT_FALSE(d.latency_ms.has_value()) << "a reopened delivery has no latency yet";
    EXPECT_GE(d.next_attempt_at_ms.value_or(0), before);
    EXPECT_EQ(d.attempt_count, 1);  // kept: one more attempt
    auto stored = store_->GetDelivery(account_, d.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->latency_ms, d.latency_ms);  // what was returned is what was stored
    EXPECT_EQ(stored->status, d.status);
  }
  auto again = store_->ReopenDelivery(account_, chunk->deliveries[0].id, Actor{});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "delivery_pending");
}

TEST_P(StoreConformance, AWebhookOfAnUnknownAccountIsNotFound) {
  auto w = NewWebhook("acc_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreConformance, AnIdempotencyKeyIsReleasedWhenItsWindowHasPassed) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  const int64_t long_ago = NowMs() - kIdempotencyWindowMs - 60'000;
  auto first = Accept({Event(account_, "task.completed", long_ago, "order-7")});
  ASSERT_TRUE(first.has_value());
  auto recent = Accept({Event(account_, "task.completed", 0, "order-8")});
  ASSERT_TRUE(recent.has_value());

  auto again =
      Accept({Event(account_, "task.completed", 0, "order-7"), Event(account_, "task.completed", 0, "order-8")});
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE((*again)[0].replayed);  // past its window: a new event
  EXPECT_NE((*again)[0].event.id, (*first)[0].event.id);
  EXPECT_EQ((*again)[0].deliveries.size(), 1u);
  EXPECT_TRUE((*again)[1].replayed);  // within it: the earlier event, nothing new
  EXPECT_EQ((*again)[1].event.id, (*recent)[0].event.id);
  EXPECT_TRUE((*again)[1].deliveries.empty());
}

TEST_P(StoreConformance, ABulkRetryOnlyEverTouchesFailedAndDeadDeliveries) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto accepted = Accept({Event(account_), Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(Record((*accepted)[0].deliveries.at(0), DeliveryStatus::kSucceeded).has_value());
  ASSERT_TRUE(Record((*accepted)[1].deliveries.at(0), DeliveryStatus::kFailed).has_value());
  const std::vector<DeliveryStatus> asked = {DeliveryStatus::kSucceeded, DeliveryStatus::kPending,
                                             DeliveryStatus::kFailed};
  auto count = store_->CountDeliveries(w->id, asked, 0, NowMs() + 1000);
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(*count, 1);
  auto chunk = store_->ReopenDeliveries(w->id, asked, 0, NowMs() + 1000, "", 10, nullptr);
  ASSERT_TRUE(chunk.has_value());
  ASSERT_EQ(chunk->deliveries.size(), 1u);
  EXPECT_EQ(chunk->deliveries[0].id, (*accepted)[1].deliveries.at(0).id);
  EXPECT_EQ(store_->GetDelivery(account_, (*accepted)[0].deliveries.at(0).id)->status, DeliveryStatus::kSucceeded);
}

TEST_P(StoreConformance, ADeletedWebhooksLogStaysMarkedWithWhatWasUnfinishedEndedUntilRetention) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto accepted = Accept({Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  const Delivery done = (*accepted)[0].deliveries.at(0);
  const Delivery waiting = (*accepted)[1].deliveries.at(0);
  ASSERT_TRUE(Record(done, DeliveryStatus::kSucceeded).has_value());
  ASSERT_TRUE(Record(waiting, DeliveryStatus::kFailed).has_value());
  EXPECT_EQ(store_->DeleteWebhook(NewAccount("other"), w->id, Actor{}).error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(store_->DeleteWebhook(account_, w->id, Actor{}).has_value());
  EXPECT_EQ(store_->GetWebhook(account_, w->id).error().kind, ErrorKind::kNotFound);
  auto after = Accept({Event(account_)});
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ((*after)[0].delivery_count, 0);  // the deleted webhook is no longer matched

  DeliveryFilter of_webhook;
  of_webhook.webhook_id = w->id;
  auto log = store_->ListDeliveries(account_, of_webhook, PageRequest{});
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->data.size(), 2u);
  for (const Delivery& d : log->data) EXPECT_TRUE(d.webhook_deleted) << d.id;
  auto ended = store_->GetDelivery(account_, waiting.id);
  ASSERT_TRUE(ended.has_value());
  EXPECT_TRUE(ended->webhook_deleted);
  EXPECT_EQ(ended->status, DeliveryStatus::kDead);
  EXPECT_EQ(ended->last_error, kWebhookDeleted);
  EXPECT_TRUE(ended->completed_at_ms.has_value());
  EXPECT_EQ(ended->attempts.size(), 1u);
  EXPECT_EQ(store_->GetDelivery(account_, done.id)->status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(store_->ReopenDelivery(account_, waiting.id, Actor{}).error().code, kWebhookDeleted);
  bool resumed = false;
  ASSERT_TRUE(store_->ForEachUnfinishedDelivery([&](const DueDelivery&) { return resumed = true; }).has_value());
  EXPECT_FALSE(resumed);

  // Retention takes the log and the webhook's memory together.
  while (*store_->PurgeOlderThan(NowMs() + 1000, 100) > 0) {
  }
  EXPECT_TRUE(store_->ListDeliveries(account_, of_webhook, PageRequest{})->data.empty());
}

TEST_P(StoreConformance, AHandshakeVerifiesOnlyTheUrlItWentToAndANewUrlResetsIt) {
  Webhook unsaved = UnsavedWebhook(account_);
  unsaved.verification = WebhookVerification::kHandshake;
  auto w = store_->CreateWebhook(unsaved, 100, Actor{});
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(store_->GetWebhook(account_, w->id)->verified);
  EXPECT_EQ(store_->GetWebhook(account_, w->id)->verification, WebhookVerification::kHandshake);

  auto stale = store_->MarkWebhookVerified(account_, w->id, "https://elsewhere.example/hook", Actor{});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, "url_changed");
  auto verified = store_->MarkWebhookVerified(account_, w->id, w->url, Actor{});
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_TRUE(verified->verified);
  ASSERT_TRUE(store_->MarkWebhookVerified(account_, w->id, w->url, Actor{}).has_value());  // already: no-op

  Webhook renamed = *verified;
  renamed.name = "still verified";
  ASSERT_TRUE(store_->UpdateWebhook(renamed, false, Actor{}).has_value());
  EXPECT_TRUE(store_->GetWebhook(account_, w->id)->verified);
  Webhook moved = *store_->GetWebhook(account_, w->id);
  moved.url = "https://moved.example/hook";
  moved.verified = true;  // a stale copy cannot carry it over
  auto updated = store_->UpdateWebhook(moved, false, Actor{});
  ASSERT_TRUE(updated.has_value());
  EXPECT_FALSE(updated->verified);

  AuditFilter filter;
  filter.account_id = account_;
  filter.action = "webhook.verified";
  auto records = store_->ListAuditRecords(filter, PageRequest{});
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(records->data.size(), 1u);
  EXPECT_FALSE(store_->MarkWebhookVerified(account_, NewId("wh_"), w->url, Actor{}).has_value());
}

}  // namespace
}  // namespace hookd
