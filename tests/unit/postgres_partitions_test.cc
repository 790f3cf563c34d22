// Time partitions on a real PostgreSQL: spans reach ahead of the clock, sized from the retention; a span past the
// cutoff is dropped whole once nothing in it is unfinished, while a span holding an unfinished delivery stays (its
// finished rows purged one by one) and a drop interrupted half-way is finished; an idempotency key whose event is
// gone passes to a new event; and a database
// stored before partitions is migrated with every row and key kept.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ids.h"
#include "common/time_util.h"
#include "fakes/fake_clock.h"
#include "postgres_server.h"
#include "samples.h"
#include "store/postgres/migrations.h"
#include "store/postgres/partitions.h"
#include "store/postgres/postgres_store.h"
#include "store_calls.h"

namespace hookd::postgres {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kRetention = 4 * kMinute;  // spans of a minute

class PostgresPartitions : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = hookd::testing::NewPostgresDatabase();
    clock_.Advance(NowMs() - clock_.NowMs());  // ids are made by the real clock
  }

  void Open() {
    auto opened = PostgresStore::Open(url_, std::string(32, 'k'), 2, nullptr, clock_, kRetention);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
  }

  std::string Query(const std::string& sql) {
    auto conn = Connection::Open(url_);
    EXPECT_TRUE(conn.has_value());
    auto r = (*conn)->QueryOnce(sql);
    EXPECT_TRUE(r.has_value()) << sql << ": " << r.error().message;
    return r->IsNull(0, 0) ? "" : r->Text(0, 0);
  }

  // The partition of `table` holding `id`.
  std::string PartitionOf(const std::string& table, const std::string& id) {
    return Query("SELECT tableoid::regclass::text FROM " + table + " WHERE id = '" + id + "'");
  }

  bool TableExists(const std::string& name) { return !Query("SELECT to_regclass('" + name + "')::text").empty(); }

  // Runs retention at `cutoff_ms` until nothing is left to purge; returns the rows it reported.
  int64_t Purge(int64_t cutoff_ms) {
    int64_t total = 0;
    for (int round = 0; round < 20; ++round) {
      auto n = store_->PurgeOlderThan(cutoff_ms, 100);
      EXPECT_TRUE(n.has_value()) << n.error().message;
      if (!n || *n == 0) break;
      total += *n;
    }
    clock_.Advance(2'000);  // the partition step runs once a second
    return total;
  }

  std::vector<AcceptedEvent> Accept(std::vector<NewEvent> events) {
    auto accepted = hookd::testing::AcceptNow(*store_, std::move(events));
    EXPECT_TRUE(accepted.has_value()) << accepted.error().message;
    return accepted ? *accepted : std::vector<AcceptedEvent>{};
  }

  NewEvent Event(const std::string& key = "") {
    NewEvent e;
    e.event = hookd::Event{NewId("evt_"), account_, "task.completed", "production", "{}", "", NowMs()};
    e.idempotency_key = key;
    return e;
  }

  void AccountWithWebhook() {
    account_ = NewId("acc_");
    ASSERT_TRUE(store_->CreateAccount(Account{account_, "acme", "", 1, 1}, Actor{}).has_value());
    ASSERT_TRUE(store_->CreateWebhook(hookd::testing::SampleWebhook(account_, 1), 10, Actor{}).has_value());
  }

  std::string url_;
  hookd::testing::FakeClock clock_;
  std::unique_ptr<PostgresStore> store_;
  std::string account_;
};

TEST_F(PostgresPartitions, SpansSizedFromTheRetentionReachAheadOfTheClock) {
  EXPECT_EQ(PartitionWidthFor(4 * kMinute), kMinute);
  EXPECT_EQ(PartitionWidthFor(30 * kMinute), 5 * kMinute);
  EXPECT_EQ(PartitionWidthFor(30LL * 1440 * kMinute), 1440 * kMinute);
  EXPECT_EQ(PartitionWidthFor(1000), kMinute);
  Open();
  for (const char* table : {"events", "deliveries", "attempts"}) {
    EXPECT_EQ(
        Query(std::string("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = '") + table + "'::regclass"),
        "1")
        << table;
  }
  const int64_t reach =
      std::stoll(Query("SELECT min(m) FROM (SELECT max(upper_ms) AS m FROM hookd_partitions "
                       "GROUP BY family) AS families"));
  EXPECT_GE(reach, clock_.NowMs() + 10 * kMinute);
  EXPECT_EQ(Query("SELECT count(*) FROM hookd_partitions WHERE lower_ms > 0 AND upper_ms - lower_ms > " +
                  std::to_string(kMinute)),
            "0");
  // Each id reaches the span of its time, in every table.
  AccountWithWebhook();
  auto accepted = Accept({Event()});
  ASSERT_EQ(accepted.size(), 1u);
  const Delivery d = accepted[0].deliveries.at(0);
  ASSERT_TRUE(hookd::testing::RecordNow(*store_, d, DeliveryStatus::kSucceeded, clock_.NowMs(), 1, 5).has_value());
  const std::string span = PartitionOf("deliveries", d.id);
  EXPECT_TRUE(span.starts_with("deliveries_p")) << span;
  EXPECT_EQ(Query("SELECT tableoid::regclass::text FROM attempts WHERE delivery_id = '" + d.id + "'"),
            "attempts" + span.substr(10));
  EXPECT_TRUE(PartitionOf("events", accepted[0].event.id).starts_with("events_p"));
}

TEST_F(PostgresPartitions, ASpanPastTheCutoffGoesWholeOnceNothingInItIsUnfinished) {
  Open();
  AccountWithWebhook();
  auto accepted = Accept({Event("order-1"), Event(), Event()});
  ASSERT_EQ(accepted.size(), 3u);
  const Delivery& pending = accepted[2].deliveries.at(0);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(hookd::testing::RecordNow(*store_, accepted[i].deliveries.at(0), DeliveryStatus::kSucceeded,
                                          clock_.NowMs(), 1, 5)
                    .has_value());
  }
  ASSERT_TRUE(hookd::testing::RecordNow(*store_, pending, DeliveryStatus::kFailed, clock_.NowMs(), 1).has_value());
  const std::string span = PartitionOf("deliveries", pending.id);
  ASSERT_EQ(PartitionOf("deliveries", accepted[0].deliveries[0].id), span) << "made within one span";

  // Twenty minutes on, the span is past the cutoff; its unfinished delivery keeps it, the finished ones go.
  clock_.Advance(20 * kMinute);
  const int64_t purged = Purge(clock_.NowMs() - kRetention);
  EXPECT_EQ(purged, 2 + 2);  // two deliveries and their events (with their attempts)
  EXPECT_TRUE(TableExists(span));
  auto left = store_->ListDeliveries(account_, {}, {});
  ASSERT_TRUE(left.has_value());
  ASSERT_EQ(left->data.size(), 1u);
  EXPECT_EQ(left->data[0].id, pending.id);
  EXPECT_TRUE(store_->GetEvent(account_, pending.event_id).has_value());
  // A span ahead of the clock is never dropped: spans reach ten minutes past the partition step's time, which is
  // before Purge moved the clock on.
  EXPECT_GE(std::stoll(Query("SELECT max(upper_ms) FROM hookd_partitions")), clock_.NowMs() - 2'000 + 10 * kMinute);

  // Once it finishes, the span's partitions are dropped whole, events and attempts with them.
  ASSERT_TRUE(
      hookd::testing::RecordNow(*store_, pending, DeliveryStatus::kSucceeded, clock_.NowMs(), 2, 5).has_value());
  EXPECT_GE(Purge(clock_.NowMs() - kRetention), 0);
  EXPECT_FALSE(TableExists(span));
  EXPECT_FALSE(TableExists("attempts" + span.substr(10)));
  EXPECT_FALSE(TableExists("events" + span.substr(10)));
  EXPECT_EQ(Query("SELECT count(*) FROM deliveries"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM attempts"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM events"), "0");
}

TEST_F(PostgresPartitions, ADropInterruptedAfterItsFirstTableIsFinishedByTheNextRun) {
  Open();
  const std::string lower = Query("SELECT min(lower_ms) FROM hookd_partitions WHERE lower_ms > 0");
  // Partitions are named by their start, so the first after the history span is the earliest span.
  const std::string span = Query(
      "SELECT min(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'deliveries'::regclass AND c.relname <> 'deliveries_history'");
  hookd::testing::ExecPostgres(url_, "ALTER TABLE deliveries DETACH PARTITION " + span + "; DROP TABLE " + span);
  clock_.Advance(20 * kMinute);
  Purge(clock_.NowMs() - kRetention);
  EXPECT_EQ(Query("SELECT count(*) FROM hookd_partitions WHERE family = 'deliveries' AND lower_ms = " + lower), "0");
  EXPECT_FALSE(TableExists("attempts" + span.substr(10)));
}

TEST_F(PostgresPartitions, AKeyWhoseEventIsGonePassesToANewEvent) {
  Open();
  AccountWithWebhook();
  auto first = Accept({Event("order-1")});
  ASSERT_EQ(first.size(), 1u);
  auto twice = Accept({Event("order-1"), Event("order-1")});
  ASSERT_EQ(twice.size(), 2u);
  EXPECT_TRUE(twice[0].replayed && twice[1].replayed);
  EXPECT_EQ(twice[1].event.id, first[0].event.id);
  // Retention took the event (a short --retention frees keys sooner than their day).
  hookd::testing::ExecPostgres(url_, "DELETE FROM deliveries; DELETE FROM events");
  auto again = Accept({Event("order-1"), Event("order-1")});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_FALSE(again[0].replayed);
  EXPECT_NE(again[0].event.id, first[0].event.id);
  EXPECT_TRUE(again[1].replayed);  // the same key later in one batch answers with the event made for it
  EXPECT_EQ(again[1].event.id, again[0].event.id);
  EXPECT_EQ(again[1].delivery_count, 1);
}

TEST_F(PostgresPartitions, ALogStoredBeforePartitionsIsMigratedWithEveryRowAndKey) {
  {
    auto conn = Connection::Open(url_);
    ASSERT_TRUE(conn.has_value());
    ASSERT_TRUE(ApplyMigrations(**conn, clock_.NowMs(), 6).has_value());
  }
  const std::string account = NewId("acc_"), event = NewId("evt_"), delivery = NewId("dlv_");
  const Webhook w = hookd::testing::SampleWebhook(account, 1);
  hookd::testing::ExecPostgres(
      url_, "INSERT INTO accounts VALUES ('" + account +
                "', 'acme', '', 1, 1); "
                "INSERT INTO events(id, account_id, type, environment, data, created_at, idempotency_key, "
                "initial_deliveries) VALUES ('" +
                event + "', '" + account + "', 'task.completed', 'production', '{}', " +
                std::to_string(clock_.NowMs()) +
                ", 'order-7', 1); "
                "INSERT INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
                "created_at, completed_at) VALUES ('" +
                delivery + "', '" + account + "', '" + event + "', '" + w.id +
                "', 'task.completed', 'succeeded', 1, 1, 2); "
                "INSERT INTO attempts(id, delivery_id, number, started_at, response_time_ms, request_headers, "
                "request_body, request_body_truncated, response_headers, response_body, response_body_truncated, "
                "success) VALUES ('att_1', '" +
                delivery + "', 1, 1, 3, '{}', '{}', false, '{}', '', false, true)");
  Open();
  EXPECT_EQ(PartitionOf("deliveries", delivery), "deliveries_history");
  EXPECT_EQ(PartitionOf("events", event), "events_history");
  EXPECT_EQ(Query("SELECT tableoid::regclass::text FROM attempts WHERE id = 'att_1'"), "attempts_history");
  auto read = store_->GetDelivery(account, delivery);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->status, DeliveryStatus::kSucceeded);
  account_ = account;
  auto again = Accept({Event("order-7")});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].replayed);
  EXPECT_EQ(again[0].event.id, event);
  // New rows go to the spans made after the history span.
  auto fresh = Accept({Event()});
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_TRUE(PartitionOf("events", fresh[0].event.id).starts_with("events_p"));
}

}  // namespace
}  // namespace hookd::postgres
