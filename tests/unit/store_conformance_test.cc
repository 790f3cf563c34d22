// What every Store backend must do, checked through the Store interface alone, operation by operation: pagination
// and filters, tenant isolation, fan-out to matching webhooks, idempotency under concurrent requests, attempts kept
// byte for byte, resumption, 410 and health (and the count of webhooks by status), manual retry, replay and bulk
// retry in pages, retention in batches, statistics, custom types, and the per-account webhook cap under concurrent
// creates. Value-parametrized over the backends (store_conformance.h); accounts, keys and portal sessions, secrets and
// the master key, the audit trail and statistics have files of their own (store_*_conformance_test.cc).
#include "store_conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "common/ids.h"
#include "common/json.h"
#include "common/time_util.h"
#include "domain/delivery_rules.h"
#include "postgres_server.h"
#include "store/row_values.h"
#include "store/store.h"
#include "test_dir.h"

namespace hookd {
namespace {
TEST_P(StoreConformance, WebhooksPageNewestFirstWithFiltersAndStayWithinTheirAccount) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto w = NewWebhook(account_, i % 2 ? std::vector<std::string>{"user.*"} : std::vector<std::string>{"task.*"},
                        i == 4 ? "staging" : "production", i != 3);
    ASSERT_TRUE(w.has_value()) << w.error().message;
    ids.push_back(w->id);
  }
  std::vector<std::string> seen;
  PageRequest page{2, ""};
  for (int pages = 0; pages < 10; ++pages) {
    auto listed = store_->ListWebhooks(account_, {}, page);
    ASSERT_TRUE(listed.has_value());
    for (const Webhook& w : listed->data) seen.push_back(w.id);
    if (!listed->next_cursor) break;
    page.cursor = *listed->next_cursor;
  }
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));

  auto inactive = store_->ListWebhooks(account_, WebhookFilter{false, "", "", std::nullopt}, {});
  ASSERT_TRUE(inactive.has_value());
  ASSERT_EQ(inactive->data.size(), 1u);
  EXPECT_EQ(inactive->data[0].id, ids[3]);
  auto staging = store_->ListWebhooks(account_, WebhookFilter{std::nullopt, "", "staging", std::nullopt}, {});
  ASSERT_TRUE(staging.has_value());
  ASSERT_EQ(staging->data.size(), 1u);
  EXPECT_EQ(staging->data[0].id, ids[4]);
  auto users = store_->ListWebhooks(account_, WebhookFilter{std::nullopt, "user.created", "", std::nullopt}, {});
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->data.size(), 2u);

  const std::string other = NewAccount("other");
  EXPECT_FALSE(store_->GetWebhook(other, ids[0]).has_value());
  auto others = store_->ListWebhooks(other, {}, {});
  ASSERT_TRUE(others.has_value());
  EXPECT_TRUE(others->data.empty());
}

TEST_P(StoreConformance, ConcurrentRequestsWithOneIdempotencyKeyCreateOneEvent) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  std::vector<std::future<Result<std::vector<AcceptedEvent>>>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(
        std::async(std::launch::async, [&] { return Accept({Event(account_, "task.completed", 0, "order-42")}); }));
  }
  std::set<std::string> ids;
  int created = 0;
  for (auto& r : results) {
    auto accepted = r.get();
    ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
    ids.insert((*accepted)[0].event.id);
    created += (*accepted)[0].replayed ? 0 : 1;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(created, 1);
  auto deliveries = store_->ListDeliveries(account_, {}, {});
  ASSERT_TRUE(deliveries.has_value());
  EXPECT_EQ(deliveries->data.size(), 1u);
  // The same key in another account is another event.
  auto elsewhere = Accept({Event(NewAccount("other"), "task.completed", 0, "order-42")});
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_FALSE((*elsewhere)[0].replayed);
}

TEST_P(StoreConformance, RetentionPurgesOldEventsInSmallBatchesAndKeepsNewOnes) {
  const int64_t old_ms = NowMs() - 40LL * 86'400'000;
  std::vector<NewEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(Event(account_, "task.completed", old_ms + i));
    // Ids sort by creation time, and a store may purge by them: these were made 40 days ago.
    events.back().event.id = "evt_" + EncodeUlid(static_cast<uint64_t>(old_ms + i), 1, static_cast<uint64_t>(i));
  }
  events.push_back(Event(account_));  // recent
  ASSERT_TRUE(Accept(std::move(events)).has_value());
  int64_t purged = 0;
  for (int rounds = 0; rounds < 20; ++rounds) {
    auto n = store_->PurgeOlderThan(NowMs() - 30LL * 86'400'000, 2);
    ASSERT_TRUE(n.has_value());
    EXPECT_LE(*n, 2);
    if (*n == 0) break;
    purged += *n;
  }
  EXPECT_EQ(purged, 5);
  auto left = store_->ListEvents(account_, {}, {});
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->data.size(), 1u);
}

TEST_P(StoreConformance, RetentionKeepsEveryEventWhoseDeliveriesAreUnfinished) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  const int64_t old_ms = NowMs() - 40LL * 86'400'000;
  std::vector<NewEvent> events;
  for (int i = 0; i < 4; ++i) {
    events.push_back(Event(account_, "task.completed", old_ms + i));
    events.back().event.id = "evt_" + EncodeUlid(static_cast<uint64_t>(old_ms + i), 2, static_cast<uint64_t>(i));
  }
  auto accepted = Accept(std::move(events));
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(Record((*accepted)[0].deliveries.at(0), DeliveryStatus::kFailed).has_value());
  // The other three have not been attempted (on SQLite, their rows are still to be written).
  auto purged = store_->PurgeOlderThan(NowMs() - 30LL * 86'400'000, 100);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 0);
  auto left = store_->ListEvents(account_, {}, {});
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->data.size(), 4u);
  auto deliveries = store_->ListDeliveries(account_, {}, {});
  ASSERT_TRUE(deliveries.has_value());
  EXPECT_EQ(deliveries->data.size(), 4u);
}

TEST_P(StoreConformance, BulkRetryReopensEveryMatchingDeliveryOnceAcrossPages) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  std::vector<NewEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(Event(account_));
  auto accepted = Accept(std::move(events));
  ASSERT_TRUE(accepted.has_value());
  for (const AcceptedEvent& a : *accepted) ASSERT_TRUE(Record(a.deliveries.at(0), DeliveryStatus::kDead).has_value());
  const std::vector<DeliveryStatus> statuses{DeliveryStatus::kDead, DeliveryStatus::kFailed};
  auto count = store_->CountDeliveries(w->id, statuses, 0, NowMs() + 1000);
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(*count, 5);
  std::set<std::string> reopened;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto chunk = store_->ReopenDeliveries(w->id, statuses, 0, NowMs() + 1000, after, 2, nullptr);
    ASSERT_TRUE(chunk.has_value());
    for (const Delivery& d : chunk->deliveries) EXPECT_TRUE(reopened.insert(d.id).second) << d.id;
    if (chunk->next_after.empty()) break;
    after = chunk->next_after;
  }
  EXPECT_EQ(reopened.size(), 5u);
  auto again = store_->CountDeliveries(w->id, statuses, 0, NowMs() + 1000);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0);
}

TEST_P(StoreConformance, ConcurrentCreatesStopAtTheWebhookCap) {
  std::vector<std::future<Result<Webhook>>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(
        std::async(std::launch::async, [&] { return NewWebhook(account_, {"*"}, "production", true, 3); }));
  }
  int created = 0;
  for (auto& r : results) {
    auto w = r.get();
    if (w) {
      ++created;
    } else {
      EXPECT_EQ(w.error().code, "too_many_webhooks");
    }
  }
  EXPECT_EQ(created, 3);
}

TEST_P(StoreConformance, AnUpdateOfSettingsNeverWritesBackTheHealthTheEngineChangedMeanwhile) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  Webhook stale = *w;  // the API's copy, read before the engine disables the webhook
  auto accepted = Accept({Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(RecordGone((*accepted)[0].deliveries.at(0)).has_value());

  stale.name = "renamed";
  auto renamed = store_->UpdateWebhook(stale, /*sets_activity=*/false, Actor{});
  ASSERT_TRUE(renamed.has_value()) << renamed.error().message;
  EXPECT_EQ(renamed->name, "renamed");
  EXPECT_FALSE(renamed->active);
  EXPECT_EQ(renamed->status, WebhookStatus::kDisabled);
  EXPECT_EQ(renamed->disabled_reason, kGoneReason);

  stale.active = true;  // a request that does mean to turn it on again
  auto enabled = store_->UpdateWebhook(stale, /*sets_activity=*/true, Actor{});
  ASSERT_TRUE(enabled.has_value());
  EXPECT_TRUE(enabled->active);
  EXPECT_EQ(enabled->status, WebhookStatus::kHealthy);
}

TEST_P(StoreConformance, EventsFanOutToMatchingWebhooksAndListWithFilters) {
  auto tasks = NewWebhook(account_, {"task.*"});
  auto all = NewWebhook(account_, {"*"});
  auto staging = NewWebhook(account_, {"*"}, "staging");
  auto off = NewWebhook(account_, {"*"}, "production", false);
  ASSERT_TRUE(tasks && all && staging && off);
  const int64_t t0 = NowMs() - 10'000;
  auto accepted = Accept({Event(account_, "task.completed", t0), Event(account_, "user.created", t0 + 1000),
                          Event(account_, "task.failed", t0 + 2000)});
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
  ASSERT_EQ(accepted->size(), 3u);
  EXPECT_EQ((*accepted)[0].delivery_count, 2);
  EXPECT_EQ((*accepted)[1].delivery_count, 1);
  EXPECT_EQ((*accepted)[1].deliveries.at(0).webhook_id, all->id);

  auto typed = store_->ListEvents(account_, EventFilter{"task.failed", std::nullopt, std::nullopt}, {});
  ASSERT_TRUE(typed.has_value());
  ASSERT_EQ(typed->data.size(), 1u);
  EXPECT_EQ(typed->data[0].id, (*accepted)[2].event.id);
  auto window = store_->ListEvents(account_, EventFilter{"", t0 + 500, t0 + 1500}, {});
  ASSERT_TRUE(window.has_value());
  ASSERT_EQ(window->data.size(), 1u);
  EXPECT_EQ(window->data[0].id, (*accepted)[1].event.id);
  auto event = store_->GetEvent(account_, (*accepted)[0].event.id);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->data_json, "{}");
  EXPECT_EQ(store_->GetEvent(NewAccount("other"), event->id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store_->GetEventById(event->id)->account_id, account_);

  ASSERT_TRUE(Record((*accepted)[0].deliveries.at(0), DeliveryStatus::kSucceeded).has_value());
  auto of_event = store_->ListDeliveriesOfEvent(event->id);
  ASSERT_TRUE(of_event.has_value());
  EXPECT_EQ(of_event->size(), 2u);
  auto succeeded = store_->ListDeliveries(account_, DeliveryFilter{"", "", DeliveryStatus::kSucceeded, {}, {}}, {});
  ASSERT_TRUE(succeeded.has_value());
  ASSERT_EQ(succeeded->data.size(), 1u);
  EXPECT_EQ(succeeded->data[0].id, (*accepted)[0].deliveries[0].id);
  auto of_tasks = store_->ListDeliveries(account_, DeliveryFilter{tasks->id, "", std::nullopt, {}, {}}, {});
  ASSERT_TRUE(of_tasks.has_value());
  EXPECT_EQ(of_tasks->data.size(), 2u);
  auto users = store_->ListDeliveries(account_, DeliveryFilter{"", "user.created", std::nullopt, {}, {}}, {});
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->data.size(), 1u);
  auto paged = store_->ListDeliveries(account_, {}, {3, ""});
  ASSERT_TRUE(paged.has_value());
  EXPECT_EQ(paged->data.size(), 3u);
  ASSERT_TRUE(paged->next_cursor.has_value());
  EXPECT_EQ(store_->ListDeliveries(account_, {}, {3, *paged->next_cursor})->data.size(), 2u);
}

TEST_P(StoreConformance, AnAttemptKeepsEveryByteOfTheResponseAndUpdatesItsDelivery) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  auto accepted = Accept({Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  const Delivery& d = (*accepted)[0].deliveries.at(0);
  AttemptRecord r;
  r.attempt = Attempt{NewId("att_"),
                      d.id,
                      1,
                      NowMs(),
                      503,
                      42,
                      "",
                      R"({"webhook-id":"x"})",
                      R"({"a":1})",
                      false,
                      R"({"retry-after":"5"})",
                      std::string("\x00\xff\xfe binary \x80", 13),
                      true,
                      false};
  r.new_status = DeliveryStatus::kFailed;
  r.next_attempt_at_ms = NowMs() + 60'000;
  std::promise<Status> done;
  store_->RecordAttemptsAsync({r}, [&](Status st, auto) { done.set_value(std::move(st)); });
  ASSERT_TRUE(done.get_future().get().has_value());
  auto read = store_->GetDelivery(account_, d.id);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->status, DeliveryStatus::kFailed);
  EXPECT_EQ(read->attempt_count, 1);
  EXPECT_EQ(read->next_attempt_at_ms, r.next_attempt_at_ms);
  EXPECT_EQ(read->last_response_status, 503);
  EXPECT_EQ(read->last_response_time_ms, 42);
  EXPECT_FALSE(read->completed_at_ms.has_value());
  ASSERT_EQ(read->attempts.size(), 1u);
  const Attempt& a = read->attempts[0];
  EXPECT_EQ(a.response_body, r.attempt.response_body);
  EXPECT_TRUE(a.response_body_truncated);
  EXPECT_EQ(a.request_body, R"({"a":1})");
  EXPECT_EQ(ParseJsonOrNull(a.response_headers_json), ParseJsonOrNull(r.attempt.response_headers_json));
  EXPECT_EQ(a.response_status, 503);
  EXPECT_EQ(store_->GetDelivery(NewAccount("other"), d.id).error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreConformance, UnfinishedDeliveriesAreResumedAndA410DisablesTheWebhook) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  auto accepted = Accept({Event(account_), Event(account_)});
  ASSERT_TRUE(accepted.has_value());
  const Delivery& failing = (*accepted)[0].deliveries.at(0);
  const Delivery& gone = (*accepted)[1].deliveries.at(0);
  ASSERT_TRUE(Record(failing, DeliveryStatus::kFailed).has_value());
  std::map<std::string, DueDelivery> unfinished;
  ASSERT_TRUE(store_
                  ->ForEachUnfinishedDelivery([&](const DueDelivery& due) {
                    unfinished[due.delivery_id] = due;
                    return true;
                  })
                  .has_value());
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(unfinished[failing.id].attempt_count, 1);
  EXPECT_GT(unfinished[failing.id].due_at_ms, NowMs() + 60'000);
  EXPECT_EQ(unfinished[gone.id].webhook_id, w->id);

  EXPECT_EQ(store_->CountWebhooksByStatus(), (std::array<int64_t, 3>{1, 0, 0}));
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kFailing, CircuitState::kOpen});
  store_->Flush();
  EXPECT_EQ(store_->CountWebhooksByStatus(), (std::array<int64_t, 3>{0, 1, 0}));
  EXPECT_EQ(store_->GetWebhookById(w->id)->circuit, CircuitState::kOpen);
  EXPECT_EQ(store_->GetWebhookById(w->id)->status, WebhookStatus::kFailing);

  ASSERT_TRUE(RecordGone(gone).has_value());
  auto disabled = store_->GetWebhookById(w->id);
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ(store_->CountWebhooksByStatus(), (std::array<int64_t, 3>{0, 0, 1}));  // healthy, failing, disabled
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->status, WebhookStatus::kDisabled);
  EXPECT_EQ(disabled->disabled_reason, kGoneReason);
  store_->UpdateWebhookHealthAsync({w->id, WebhookStatus::kHealthy, CircuitState::kClosed});
  store_->Flush();
  EXPECT_EQ(store_->GetWebhookById(w->id)->status, WebhookStatus::kDisabled);  // stays disabled
  // A disabled webhook receives nothing new.
  auto later = Accept({Event(account_)});
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ((*later)[0].delivery_count, 0);

  unfinished.clear();
  ASSERT_TRUE(store_
                  ->ForEachUnfinishedDelivery([&](const DueDelivery& due) {
                    unfinished[due.delivery_id] = due;
                    return true;
                  })
                  .has_value());
  EXPECT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished.count(failing.id), 1u);
}

TEST_P(StoreConformance, ManualRetryReopensOnlyWhatFailedAndReplayCreatesDeliveriesInPages) {
  auto w = NewWebhook(account_, {"task.*"});
  ASSERT_TRUE(w.has_value());
  std::vector<NewEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(Event(account_, i == 2 ? "user.created" : "task.completed"));
  auto accepted = Accept(std::move(events));
  ASSERT_TRUE(accepted.has_value());
  const Delivery& done = (*accepted)[0].deliveries.at(0);
  const Delivery& dead = (*accepted)[1].deliveries.at(0);
  const Delivery& pending = (*accepted)[3].deliveries.at(0);
  ASSERT_TRUE(Record(done, DeliveryStatus::kSucceeded).has_value());
  ASSERT_TRUE(Record(dead, DeliveryStatus::kDead).has_value());
  EXPECT_EQ(store_->ReopenDelivery(account_, done.id, Actor{}).error().code, "delivery_succeeded");
  EXPECT_EQ(store_->ReopenDelivery(account_, pending.id, Actor{}).error().code, "delivery_pending");
  EXPECT_EQ(store_->ReopenDelivery(NewAccount("other"), dead.id, Actor{}).error().kind, ErrorKind::kNotFound);
  auto reopened = store_->ReopenDelivery(account_, dead.id, Actor{});
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->status, DeliveryStatus::kPending);
  EXPECT_EQ(reopened->attempt_count, 1);
  EXPECT_FALSE(reopened->completed_at_ms.has_value());

  auto created = store_->CreateDeliveries((*accepted)[0].event, {w->id}, nullptr);
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->size(), 1u);
  EXPECT_EQ(store_->ListDeliveriesOfEvent((*accepted)[0].event.id)->size(), 2u);

  std::vector<std::string> replayed_events;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto chunk = store_->ReplayEvents(*w, 0, NowMs() + 1000, after, 2, nullptr);
    ASSERT_TRUE(chunk.has_value());
    for (const Delivery& d : chunk->deliveries) replayed_events.push_back(d.event_id);
    if (chunk->next_after.empty()) break;
    after = chunk->next_after;
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(replayed_events.size(), 4u);  // the user.created event is not the webhook's
  for (const std::string& id : replayed_events) EXPECT_NE(id, (*accepted)[2].event.id);
}

// The statistics of [since, now) in buckets of `bucket_ms`, minute cells kept throughout.
StatsQuery StatsOver(const std::string& account, const std::string& webhook, int64_t since_ms, int64_t bucket_ms) {
  return StatsQuery{account, webhook, PlanStats(since_ms, NowMs(), bucket_ms, 0)};
}

TEST_P(StoreConformance, StatsCountEachStatusPerTypeAndWebhook) {
  auto a = NewWebhook(account_, {"task.*"});
  auto b = NewWebhook(account_, {"*"});
  ASSERT_TRUE(a && b);
  auto accepted = Accept({Event(account_, "task.completed"), Event(account_, "user.created")});
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(Record((*accepted)[0].deliveries.at(0), DeliveryStatus::kSucceeded).has_value());
  ASSERT_TRUE(Record((*accepted)[0].deliveries.at(1), DeliveryStatus::kDead).has_value());
  ASSERT_TRUE(Record((*accepted)[1].deliveries.at(0), DeliveryStatus::kFailed).has_value());
  auto stats = store_->Stats(StatsOver(account_, "", NowMs() - 3'600'000, 3'600'000));
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->overall.total, 3);
  EXPECT_EQ(stats->overall.succeeded, 1);
  EXPECT_EQ(stats->overall.dead, 1);
  EXPECT_EQ(stats->overall.failed, 1);
  EXPECT_DOUBLE_EQ(stats->overall.avg_attempts, 1.0);
  ASSERT_EQ(stats->by_event_type.size(), 2u);
  EXPECT_EQ(stats->by_event_type[0].key, "task.completed");
  EXPECT_EQ(stats->by_event_type[0].total, 2);
  EXPECT_EQ(stats->by_webhook.size(), 2u);
  EXPECT_FALSE(stats->series.empty());
  auto one = store_->Stats(StatsOver(account_, a->id, NowMs() - 3'600'000, 3'600'000));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->overall.total, 1);
  EXPECT_EQ(store_->Stats(StatsOver(NewAccount("other"), "", 0, 3'600'000))->overall.total, 0);

  // A day by the hour: every bucket of the period is there, the empty ones too, so a chart spans the whole day.
  auto day = store_->Stats(StatsOver(account_, "", NowMs() - 86'400'000, 3'600'000));
  ASSERT_TRUE(day.has_value());
  ASSERT_GE(day->series.size(), 24u);
  ASSERT_LE(day->series.size(), 25u);
  int64_t busy_buckets = 0, total = 0;
  for (const DeliveryStatsRow& bucket : day->series) {
    busy_buckets += bucket.total > 0;
    total += bucket.total;
  }
  EXPECT_EQ(busy_buckets, 1);
  EXPECT_EQ(total, 3);
}

TEST_P(StoreConformance, CustomEventTypesAreUnique) {
  ASSERT_TRUE(store_->CreateCustomEventType(EventType{"invoice.paid", "Invoice", "paid", true}, Actor{}).has_value());
  EXPECT_EQ(store_->CreateCustomEventType(EventType{"invoice.paid", "Invoice", "", true}, Actor{}).error().code,
            "already_exists");
  auto types = store_->ListCustomEventTypes();
  ASSERT_TRUE(types.has_value());
  ASSERT_EQ(types->size(), 1u);
  EXPECT_EQ((*types)[0].category, "Invoice");
  ASSERT_TRUE(store_->DeleteCustomEventType("invoice.paid", Actor{}).has_value());
  EXPECT_EQ(store_->DeleteCustomEventType("invoice.paid", Actor{}).error().kind, ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values(kSqlite, kPostgres),
                         [](const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; });

}  // namespace
}  // namespace hookd
