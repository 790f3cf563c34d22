// Deliveries written once, against a real SQLite file: an accepted event's deliveries have no rows until their
// first outcome (which inserts the row), yet every read, a second's wait, a restart and an undone transaction
// give each delivery exactly one row, with the id the engine was handed.
#include "store/sqlite/awaiting_deliveries.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "common/ids.h"
#include "common/time_util.h"
#include "store/sqlite/database.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "test_dir.h"

namespace hookd {
namespace {

class AwaitingDeliveriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    Account account{NewId("acct_"), "acme", "ops@acme.test", NowMs(), NowMs()};
    ASSERT_TRUE(store_->CreateAccount(account, Actor{}).has_value());
    account_id_ = account.id;
    for (int i = 0; i < 2; ++i) {
      Webhook w;
      w.id = NewId("wh_");
      w.account_id = account_id_;
      w.url = "https://example.test/hook" + std::to_string(i);
      w.events = {"task.completed"};
      w.secret = "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==";
      ASSERT_TRUE(store_->CreateWebhook(w, 100, Actor{}).has_value());
      webhook_ids_.push_back(w.id);
    }
  }
  void TearDown() override { store_.reset(); }

  // `outcome_hold`: how long the store may hold attempt outcomes to write them in bulk.
  void Reopen(std::chrono::milliseconds outcome_hold = sqlite::kOutcomeBatchDelay) {
    store_.reset();
    auto opened = sqlite::SqliteStore::Open(path_, std::string(32, 'k'), outcome_hold);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
  }
  // Outcomes are held far longer than any test runs, so that only what flushes them can commit them.
  void ReopenHoldingOutcomes() { Reopen(std::chrono::minutes(10)); }

  AcceptedEvent Accept() {
    NewEvent input;
    input.event = Event{NewId("evt_"), account_id_, "task.completed", "production", "{}", "", NowMs()};
    std::promise<Result<std::vector<AcceptedEvent>>> done;
    store_->AcceptEventsAsync({input}, [&](Result<std::vector<AcceptedEvent>> r) { done.set_value(std::move(r)); });
    auto accepted = done.get_future().get();
    EXPECT_TRUE(accepted.has_value());
    return accepted.has_value() ? (*accepted)[0] : AcceptedEvent{};
  }

  // Records an attempt's outcome; the future says when it is durable.
  std::future<Status> RecordAsync(const Delivery& d, bool success, int number = 1, bool urgent = false) {
    AttemptRecord r;
    r.urgent = urgent;
    r.attempt.id = NewId("att_");
    r.attempt.delivery_id = d.id;
    r.attempt.number = number;
    r.attempt.started_at_ms = NowMs();
    r.attempt.response_status = success ? 200 : 500;
    r.attempt.success = success;
    r.new_status = success ? DeliveryStatus::kSucceeded : DeliveryStatus::kFailed;
    if (!success) r.next_attempt_at_ms = NowMs() + 60'000;
    auto done = std::make_shared<std::promise<Status>>();
    store_->RecordAttemptsAsync({r}, [done](Status st, auto) { done->set_value(std::move(st)); });
    return done->get_future();
  }
  void Record(const Delivery& d, bool success) { EXPECT_TRUE(RecordAsync(d, success).get().has_value()); }

  // Counts rows straight from the file, without the store's read barrier.
  int64_t RawCount(const char* sql) {
    auto db = sqlite::Database::Open(path_, true);
    auto q = (*db)->Prepare(sql);
    return q.Step() ? q.Int(0) : -1;
  }
  int64_t DeliveryRows() { return RawCount("SELECT COUNT(*) FROM deliveries"); }
  int64_t AwaitingRows() { return RawCount("SELECT COUNT(*) FROM events_awaiting_deliveries"); }
  // How many deliveries the awaiting lists name ("delivery_id webhook_id" pairs, space-separated).
  int64_t AwaitingDeliveries() {
    auto db = sqlite::Database::Open(path_, true);
    auto q = (*db)->Prepare("SELECT deliveries FROM events_awaiting_deliveries");
    int64_t named = 0;
    while (q.Step()) {
      const std::string list = q.Text(0);
      named += (std::count(list.begin(), list.end(), ' ') + 1) / 2;
    }
    return named;
  }

  testing::TestDir dir_{"hookd-dd-"};
  std::string path_ = dir_.File("hookd.db");
  std::unique_ptr<Store> store_;
  std::string account_id_;
  std::vector<std::string> webhook_ids_;
};

TEST_F(AwaitingDeliveriesTest, AcceptedDeliveriesHaveNoRowsUntilTheirFirstOutcome) {
  const AcceptedEvent accepted = Accept();
  ASSERT_EQ(accepted.deliveries.size(), 2u);
  EXPECT_EQ(DeliveryRows(), 0);
  EXPECT_EQ(AwaitingRows(), 1);

  Record(accepted.deliveries[0], true);
  EXPECT_EQ(DeliveryRows(), 1);
  EXPECT_EQ(AwaitingRows(), 1);  // the second delivery still waits
  auto first = store_->GetDelivery(account_id_, accepted.deliveries[0].id);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(first->attempt_count, 1);
  EXPECT_EQ(first->event_id, accepted.event.id);
  EXPECT_EQ(first->webhook_id, accepted.deliveries[0].webhook_id);
  EXPECT_EQ(first->event_type, "task.completed");
  EXPECT_EQ(first->created_at_ms, accepted.deliveries[0].created_at_ms);
  ASSERT_EQ(first->attempts.size(), 1u);

  Record(accepted.deliveries[1], false);
  EXPECT_EQ(DeliveryRows(), 2);
  EXPECT_EQ(AwaitingRows(), 0);  // the event's last delivery written: its awaiting row goes
  auto second = store_->GetDelivery(account_id_, accepted.deliveries[1].id);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, DeliveryStatus::kFailed);
  ASSERT_TRUE(second->next_attempt_at_ms.has_value());

  Record(accepted.deliveries[1], true);  // a retry updates the row it made
  EXPECT_EQ(store_->GetDelivery(account_id_, accepted.deliveries[1].id)->status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(DeliveryRows(), 2);
}

TEST_F(AwaitingDeliveriesTest, AReadSeesAnOutcomeTheWriterStillHoldsToWriteInBulk) {
  ReopenHoldingOutcomes();
  const AcceptedEvent accepted = Accept();
  const Delivery& d = accepted.deliveries[0];
  std::future<Status> first = RecordAsync(d, false);
  ASSERT_TRUE(store_->ListDeliveriesOfEvent(accepted.event.id).has_value());  // every row written: nothing awaits
  ASSERT_TRUE(first.get().has_value());

  // The retry's outcome is held for others to share its transaction; a read must not miss it meanwhile.
  std::future<Status> recorded = RecordAsync(d, true, 2);
  EXPECT_EQ(recorded.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM attempts"), 1);
  auto read = store_->GetDelivery(account_id_, d.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->status, DeliveryStatus::kSucceeded);
  EXPECT_EQ(read->attempt_count, 2);
  EXPECT_EQ(read->attempts.size(), 2u);
  EXPECT_TRUE(recorded.get().has_value());
}

TEST_F(AwaitingDeliveriesTest, AnOutcomeTheEngineAwaitsIsNotHeldBehindOthers) {
  ReopenHoldingOutcomes();
  const AcceptedEvent accepted = Accept();
  // Every row written, so that nothing awaits: the one-second sweep would otherwise flush the held outcome.
  ASSERT_TRUE(store_->ListDeliveriesOfEvent(accepted.event.id).has_value());
  std::future<Status> held = RecordAsync(accepted.deliveries[0], true);
  // An ordered webhook's next delivery waits for this one: it commits at once, ahead of the held outcome.
  std::future<Status> urgent = RecordAsync(accepted.deliveries[1], true, 1, /*urgent=*/true);
  ASSERT_EQ(urgent.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(urgent.get().has_value());
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM attempts"), 1);

  Reopen();  // stopping the store commits what it holds
  EXPECT_TRUE(held.get().has_value());
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM attempts"), 2);
  EXPECT_EQ(DeliveryRows(), 2);
}

TEST_F(AwaitingDeliveriesTest, AReadSeesEveryAcceptedDeliveryAndAnOutcomeAfterItUpdatesThatRow) {
  const AcceptedEvent accepted = Accept();
  auto listed = store_->ListDeliveriesOfEvent(accepted.event.id);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  for (const Delivery& d : *listed) EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ((*listed)[0].id, accepted.deliveries[0].id);
  EXPECT_EQ(AwaitingRows(), 0);

  Record(accepted.deliveries[0], true);
  EXPECT_EQ(DeliveryRows(), 2);
  EXPECT_EQ(store_->GetDelivery(account_id_, accepted.deliveries[0].id)->status, DeliveryStatus::kSucceeded);
}

TEST_F(AwaitingDeliveriesTest, ADeliveryWaitingOverASecondGetsAPendingRow) {
  Accept();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (DeliveryRows() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(DeliveryRows(), 2);
  EXPECT_EQ(AwaitingRows(), 0);
}

TEST_F(AwaitingDeliveriesTest, ARestartWritesTheRowsOfAcceptedDeliveriesWithTheIdsTheEngineHad) {
  const AcceptedEvent accepted = Accept();
  Record(accepted.deliveries[0], true);
  store_->Flush();
  // On disk now: the first delivery's row and the event's awaiting row, as a crash would leave them.
  ASSERT_EQ(DeliveryRows(), 1);
  Reopen();
  EXPECT_EQ(DeliveryRows(), 2);
  EXPECT_EQ(AwaitingRows(), 0);
  std::vector<std::string> unfinished;
  ASSERT_TRUE(store_
                  ->ForEachUnfinishedDelivery([&](const DueDelivery& d) {
                    unfinished.push_back(d.delivery_id);
                    return true;
                  })
                  .has_value());
  EXPECT_EQ(unfinished, std::vector<std::string>{accepted.deliveries[1].id});
  EXPECT_EQ(store_->GetDelivery(account_id_, accepted.deliveries[0].id)->status, DeliveryStatus::kSucceeded);
}

TEST_F(AwaitingDeliveriesTest, AnOutcomeAfterItsWebhookWasDeletedLeavesTheEndedRowAsItIs) {
  const AcceptedEvent accepted = Accept();
  ASSERT_TRUE(store_->DeleteWebhook(account_id_, accepted.deliveries[0].webhook_id, Actor{}).has_value());
  Record(accepted.deliveries[0], true);
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM deliveries WHERE webhook_id IN (SELECT id FROM webhooks)"), 1);
  EXPECT_EQ(DeliveryRows(), 2);  // the deleted webhook's, kept in its log, and the other webhook's
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM deliveries WHERE status = 'dead' AND last_error = 'webhook_deleted'"), 1);
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM attempts"),
            1);  // logged under its finished delivery, which retention purges

  Record(accepted.deliveries[1], true);  // the other webhook's delivery is logged as usual
  EXPECT_EQ(RawCount("SELECT COUNT(*) FROM attempts"), 2);
}

// Accepts, outcomes, reads and failing jobs (each one undoes its group and reruns it job by job) all at once:
// afterwards, and again after a restart, every accepted delivery has exactly one row, with its outcome if it had one.
TEST_F(AwaitingDeliveriesTest, UnderConcurrentAcceptsOutcomesReadsAndUndoneJobsEveryDeliveryKeepsOneRow) {
  ASSERT_TRUE(store_->CreateCustomEventType(EventType{"custom.taken", "Custom", "", true}, Actor{}).has_value());
  std::mutex mu;
  std::vector<Delivery> accepted, recorded;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        const AcceptedEvent e = Accept();
        std::lock_guard lock(mu);
        accepted.insert(accepted.end(), e.deliveries.begin(), e.deliveries.end());
      }
    });
  }
  threads.emplace_back([&] {  // records the first outcome of every other delivery, as soon as it is accepted
    size_t next = 0;
    while (!stop) {
      std::vector<Delivery> batch;
      {
        std::lock_guard lock(mu);
        for (; next < accepted.size(); next += 2) batch.push_back(accepted[next]);
      }
      for (const Delivery& d : batch) Record(d, true);
      std::lock_guard lock(mu);
      recorded.insert(recorded.end(), batch.begin(), batch.end());
    }
  });
  threads.emplace_back([&] {  // reads, so the barrier writes awaiting rows in between
    while (!stop) {
      std::string event_id;
      {
        std::lock_guard lock(mu);
        if (!accepted.empty()) event_id = accepted.back().event_id;
      }
      if (!event_id.empty()) {
        EXPECT_EQ(store_->ListDeliveriesOfEvent(event_id)->size(), 2u);
      }
    }
  });
  threads.emplace_back([&] {  // a job that fails makes its group roll back and run again
    while (!stop) EXPECT_FALSE(store_->CreateCustomEventType(EventType{"custom.taken", "Custom", "", true}, Actor{}));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  for (std::thread& t : threads) t.join();
  ASSERT_GT(accepted.size(), 100u);
  ASSERT_GT(recorded.size(), 50u);

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "running" : "after a restart");
    store_->Flush();
    // On disk, every delivery is a row or in an awaiting list (a recorded one may be both, until its event's last).
    EXPECT_GE(DeliveryRows() + AwaitingDeliveries(), static_cast<int64_t>(accepted.size()));
    for (const Delivery& d : recorded) {
      auto row = store_->GetDelivery(account_id_, d.id);
      ASSERT_TRUE(row.has_value()) << d.id;
      EXPECT_EQ(row->status, DeliveryStatus::kSucceeded) << d.id;
      EXPECT_EQ(row->attempts.size(), 1u) << d.id;
    }
    EXPECT_EQ(DeliveryRows(), static_cast<int64_t>(accepted.size()));
    EXPECT_EQ(AwaitingRows(), 0);
    Reopen();
  }
}

// AwaitingDeliveries alone, on a migrated database holding one event, and one delivery of it to add.
class AwaitingDeliveriesMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = sqlite::Database::Open(dir_.File("hookd.db"), false);
    ASSERT_TRUE(opened.has_value());
    db_ = std::move(*opened);
    ASSERT_TRUE(sqlite::ApplyMigrations(*db_, 1).has_value());
    ASSERT_TRUE(db_->Prepare("INSERT INTO events(id, account_id, type, environment, data, created_at) "
                             "VALUES (?1, 'acct_1', 'task.completed', 'production', '{}', ?2)")
                    .Bind(1, event_.id)
                    .Bind(2, event_.created_at_ms)
                    .Run()
                    .has_value());
    delivery_.id = NewId("dlv_");
    delivery_.webhook_id = "wh_1";
  }

  OutcomeValues Succeeded() const {
    return {.delivery_id = delivery_.id,
            .status = DeliveryStatus::kSucceeded,
            .attempt_count = 1,
            .next_attempt_at_ms = std::nullopt,
            .completed_at_ms = NowMs(),
            .latency_ms = 5,
            .response_status = 200,
            .response_time_ms = 5,
            .error = {}};
  }
  // The status of every delivery row.
  std::vector<std::string> Rows() {
    std::vector<std::string> statuses;
    auto q = db_->Prepare("SELECT status FROM deliveries");
    while (q.Step()) statuses.push_back(q.Text(0));
    return statuses;
  }

  testing::TestDir dir_{"hookd-ddmap-"};
  std::unique_ptr<sqlite::Database> db_;
  const Event event_{NewId("evt_"), "acct_1", "task.completed", "production", "{}", "", NowMs()};
  Delivery delivery_;
  sqlite::AwaitingDeliveries awaiting_;
  StatsDelta stats_;
};

// Readers may skip the barrier only once a committed write of every awaiting row covers every addition and undo.
TEST_F(AwaitingDeliveriesMapTest, MaybeAwaitingClearsOnlyForWritesThatCoverEveryAddition) {
  EXPECT_TRUE(awaiting_.MaybeAwaiting());  // a crash may have left awaiting rows
  uint64_t changes = awaiting_.Changes();
  ASSERT_TRUE(awaiting_.WriteAwaitingAsPending(*db_).has_value());
  awaiting_.WrittenThrough(changes);
  EXPECT_FALSE(awaiting_.MaybeAwaiting());

  ASSERT_TRUE(awaiting_.Add(*db_, event_, {delivery_}, NowMs()).has_value());
  EXPECT_TRUE(awaiting_.MaybeAwaiting());
  changes = awaiting_.Changes();
  awaiting_.OnRollback();  // an undo after the count was read: that write does not cover it
  awaiting_.WrittenThrough(changes);
  EXPECT_TRUE(awaiting_.MaybeAwaiting());
  awaiting_.WrittenThrough(awaiting_.Changes());
  EXPECT_FALSE(awaiting_.MaybeAwaiting());
  awaiting_.WrittenThrough(changes);  // an older count published late changes nothing
  EXPECT_FALSE(awaiting_.MaybeAwaiting());
}

// The map in memory after an undone transaction: it is not trusted until every awaiting delivery has a row.
TEST_F(AwaitingDeliveriesMapTest, AfterAnUndoEveryAwaitingDeliveryIsWrittenBeforeTheMapIsUsed) {
  ASSERT_TRUE(awaiting_.Add(*db_, event_, {delivery_}, NowMs()).has_value());
  awaiting_.OnRollback();  // say the job that wrote the awaiting row was kept but another one was undone
  EXPECT_TRUE(awaiting_.MaybeAwaiting());
  // The repair writes the delivery pending; the outcome then updates that row (an insert would hit its key).
  ASSERT_TRUE(awaiting_.WriteOutcome(*db_, Succeeded(), stats_).has_value());
  EXPECT_EQ(Rows(), (std::vector<std::string>{"succeeded"}));
}

TEST_F(AwaitingDeliveriesMapTest, AnOutcomeOfAnAdditionThatWasUndoneWritesNoRow) {
  ASSERT_TRUE(awaiting_.Add(*db_, event_, {delivery_}, NowMs()).has_value());
  // Undo what the accepting job wrote, as a rollback would; the map still lists the delivery.
  ASSERT_TRUE(db_->Exec("DELETE FROM events_awaiting_deliveries; DELETE FROM events").has_value());
  awaiting_.OnRollback();
  ASSERT_TRUE(awaiting_.WriteOutcome(*db_, Succeeded(), stats_).has_value());
  EXPECT_TRUE(Rows().empty());
}

}  // namespace
}  // namespace hookd
