// What every Store backend must do, checked through the Store interface alone: pagination and filters, tenant
// isolation, idempotency under concurrent requests, secrets encrypted at rest, retention in batches, bulk retry in
// pages, and the per-account webhook cap under concurrent creates. Value-parametrized over the backends; each
// backend supplies how to open a fresh store and how to read its raw bytes (for the at-rest check).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <set>
#include <thread>

#include "common/ids.h"
#include "common/time_util.h"
#include "store/store.h"
#include "test_dir.h"

namespace hookd {
namespace {

struct StoreBackend {
  std::string name;
  // Opens a fresh store whose files live in `dir`.
  std::function<Result<std::unique_ptr<Store>>(const testing::TestDir& dir)> open;
  // Everything the backend has written to disk, as bytes (the database and its logs).
  std::function<std::string(const testing::TestDir& dir)> raw_bytes;
};

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const StoreBackend kSqlite{
    "sqlite",
    [](const testing::TestDir& dir) { return OpenStore("sqlite:" + dir.File("hookd.db"), std::string(32, 'k')); },
    [](const testing::TestDir& dir) { return FileBytes(dir.File("hookd.db")) + FileBytes(dir.File("hookd.db-wal")); }};

constexpr const char* kSecret = "whsec_c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3";

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    account_ = NewAccount("acme");
  }
  void TearDown() override { store_.reset(); }

  std::string NewAccount(const std::string& name) {
    Account account{NewId("acc_"), name, "ops@" + name + ".test", NowMs(), NowMs()};
    EXPECT_TRUE(store_->CreateAccount(account).has_value());
    return account.id;
  }

  Result<Webhook> NewWebhook(const std::string& account, std::vector<std::string> events = {"*"},
                             const std::string& environment = "production", bool active = true, int cap = 100) {
    Webhook w;
    w.id = NewId("wh_");
    w.account_id = account;
    w.url = "https://hooks.example/" + w.id;
    w.events = std::move(events);
    w.environment = environment;
    w.active = active;
    w.status = active ? WebhookStatus::kHealthy : WebhookStatus::kDisabled;
    w.secret = kSecret;
    w.created_at_ms = w.updated_at_ms = NowMs();
    return store_->CreateWebhook(w, cap);
  }

  Result<std::vector<AcceptedEvent>> Accept(std::vector<NewEvent> events) {
    std::promise<Result<std::vector<AcceptedEvent>>> done;
    store_->AcceptEventsAsync(std::move(events),
                              [&](Result<std::vector<AcceptedEvent>> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  NewEvent Event(const std::string& account, const std::string& type = "task.completed", int64_t created_ms = 0,
                 std::string idempotency_key = "") {
    NewEvent input;
    input.event = hookd::Event{NewId("evt_"), account, type, "production", "{}", "", created_ms ? created_ms : NowMs()};
    input.idempotency_key = std::move(idempotency_key);
    return input;
  }

  Status Record(const Delivery& d, DeliveryStatus status) {
    AttemptRecord r;
    r.attempt.id = NewId("att_");
    r.attempt.delivery_id = d.id;
    r.attempt.number = 1;
    r.attempt.started_at_ms = NowMs();
    r.attempt.response_status = status == DeliveryStatus::kSucceeded ? 200 : 500;
    r.attempt.success = status == DeliveryStatus::kSucceeded;
    r.new_status = status;
    if (status == DeliveryStatus::kFailed) r.next_attempt_at_ms = NowMs() + 3'600'000;
    std::promise<Status> done;
    store_->RecordAttemptsAsync({r}, [&](Status st) { done.set_value(std::move(st)); });
    return done.get_future().get();
  }

  testing::TestDir dir_{"hookd-conformance-"};
  std::unique_ptr<Store> store_;
  std::string account_;
};

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

TEST_P(StoreConformance, WebhookSecretsAreEncryptedAtRest) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  store_->Flush();
  auto read = store_->GetWebhook(account_, w->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->secret, kSecret);
  const std::string raw = GetParam().raw_bytes(dir_);
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.find("c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3"), std::string::npos);
  EXPECT_NE(raw.find(w->id), std::string::npos);  // the check reads the right bytes
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
    auto chunk = store_->ReopenDeliveries(w->id, statuses, 0, NowMs() + 1000, after, 2);
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
  AttemptRecord gone;
  gone.attempt.id = NewId("att_");
  gone.attempt.delivery_id = (*accepted)[0].deliveries.at(0).id;
  gone.attempt.number = 1;
  gone.attempt.started_at_ms = NowMs();
  gone.attempt.response_status = 410;
  gone.new_status = DeliveryStatus::kDead;
  gone.disable_webhook = true;
  gone.disabled_reason = "the endpoint answered 410 Gone";
  gone.urgent = true;
  std::promise<Status> recorded;
  store_->RecordAttemptsAsync({gone}, [&](Status st) { recorded.set_value(std::move(st)); });
  ASSERT_TRUE(recorded.get_future().get().has_value());

  stale.name = "renamed";
  auto renamed = store_->UpdateWebhook(stale, /*sets_activity=*/false);
  ASSERT_TRUE(renamed.has_value()) << renamed.error().message;
  EXPECT_EQ(renamed->name, "renamed");
  EXPECT_FALSE(renamed->active);
  EXPECT_EQ(renamed->status, WebhookStatus::kDisabled);
  EXPECT_EQ(renamed->disabled_reason, "the endpoint answered 410 Gone");

  stale.active = true;  // a request that does mean to turn it on again
  auto enabled = store_->UpdateWebhook(stale, /*sets_activity=*/true);
  ASSERT_TRUE(enabled.has_value());
  EXPECT_TRUE(enabled->active);
  EXPECT_EQ(enabled->status, WebhookStatus::kHealthy);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values(kSqlite),
                         [](const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; });

}  // namespace
}  // namespace hookd
