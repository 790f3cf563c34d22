// Shard leases on a real PostgreSQL: a lone worker takes every shard, two split them without overlap (the first
// hands back its surplus), a lapsed lease moves with a higher fencing epoch, a restarted worker takes its own back
// under new epochs, shutdown gives everything back, and the database refuses an outcome under a stale epoch. Also
// the notices' payloads.
#include "store/postgres/shard_leases.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "domain/sharding.h"
#include "postgres_server.h"
#include "samples.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"

namespace hookd::postgres {
namespace {

const ShardLease& LeaseOf(const std::vector<ShardLease>& held, int shard) {
  auto it = std::ranges::find(held, shard, &ShardLease::shard);
  EXPECT_NE(it, held.end()) << "shard " << shard << " not held";
  return *it;
}

bool Holds(const std::vector<ShardLease>& held, int shard) {
  return std::ranges::find(held, shard, &ShardLease::shard) != held.end();
}

class ShardLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = hookd::testing::NewPostgresDatabase();
    auto conn = Connection::Open(url_);
    ASSERT_TRUE(conn.has_value()) << conn.error().message;
    ASSERT_TRUE(ApplyMigrations(**conn, 1).has_value());
  }

  void Sql(const std::string& sql) {
    auto conn = Connection::Open(url_);
    ASSERT_TRUE(conn.has_value());
    ASSERT_TRUE((*conn)->ExecOnce(sql).has_value()) << sql;
  }

  std::string url_;
  std::chrono::milliseconds duration_{15'000};
};

TEST_F(ShardLeasesTest, ALoneWorkerTakesEveryShardUnderAFreshEpoch) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_, SystemTime());
  auto round = a.Round();
  ASSERT_TRUE(round.has_value()) << round.error().message;
  EXPECT_EQ(round->live_workers, 1);
  EXPECT_EQ(static_cast<int>(round->held.size()), kShardCount);
  EXPECT_TRUE(round->surplus.empty());
  for (const ShardLease& lease : round->held) EXPECT_EQ(lease.epoch, 1) << lease.shard;
  auto again = a.Round();  // renewal keeps the epoch
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(LeaseOf(again->held, 7).epoch, 1);
}

TEST_F(ShardLeasesTest, TwoWorkersSplitTheShardsWithoutOverlap) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_, SystemTime());
  ShardLeases b(pool, "worker-b", duration_, SystemTime());
  ASSERT_EQ(static_cast<int>(a.Round()->held.size()), kShardCount);
  auto b_first = b.Round();
  ASSERT_TRUE(b_first.has_value());
  EXPECT_EQ(b_first->live_workers, 2);
  EXPECT_TRUE(b_first->held.empty());  // nothing is free yet
  auto a_second = a.Round();
  ASSERT_TRUE(a_second.has_value());
  ASSERT_EQ(static_cast<int>(a_second->surplus.size()), kShardCount / 2);
  EXPECT_EQ(*std::min_element(a_second->surplus.begin(), a_second->surplus.end()), kShardCount / 2);
  ASSERT_TRUE(a.Release(a_second->surplus).has_value());
  auto b_second = b.Round();
  ASSERT_TRUE(b_second.has_value());
  ASSERT_EQ(static_cast<int>(b_second->held.size()), kShardCount / 2);
  auto a_third = a.Round();
  ASSERT_TRUE(a_third.has_value());
  EXPECT_EQ(static_cast<int>(a_third->held.size()), kShardCount / 2);
  EXPECT_TRUE(a_third->surplus.empty());
  std::set<int> all;
  for (const ShardLease& lease : a_third->held) all.insert(lease.shard);
  for (const ShardLease& lease : b_second->held) {
    EXPECT_TRUE(all.insert(lease.shard).second) << "shard " << lease.shard << " held twice";
    EXPECT_EQ(lease.epoch, 2);  // moved once
  }
  EXPECT_EQ(static_cast<int>(all.size()), kShardCount);
}

TEST_F(ShardLeasesTest, ALapsedLeaseMovesUnderAHigherEpochAndItsFormerOwnerKeepsNothing) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_, SystemTime());
  ShardLeases b(pool, "worker-b", duration_, SystemTime());
  ASSERT_EQ(static_cast<int>(a.Round()->held.size()), kShardCount);
  // Worker a stops (paused or dead): its heartbeat and leases lapse.
  Sql("UPDATE shard_leases SET expires_at = 0 WHERE owner = 'worker-a'");
  Sql("UPDATE hookd_workers SET heartbeat_at = 0 WHERE id = 'worker-a'");
  auto taken = b.Round();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->live_workers, 1);
  ASSERT_EQ(static_cast<int>(taken->held.size()), kShardCount);
  for (const ShardLease& lease : taken->held) EXPECT_EQ(lease.epoch, 2) << lease.shard;
  auto back = a.Round();  // a comes back: its lapsed leases are not renewed, and none is free
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->held.empty());
  EXPECT_EQ(back->live_workers, 2);
}

TEST_F(ShardLeasesTest, ALeaseRowLockedByAStalledTransactionStillMovesOnceTheServerEndsIt) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", std::chrono::milliseconds(300), SystemTime());
  ASSERT_TRUE(a.Round().has_value());
  // Worker a writes an outcome batch (the lease rows key-share-locked to its commit) and stops mid-transaction.
  auto stalled = Connection::Open(url_);
  ASSERT_TRUE(stalled.has_value());
  ASSERT_TRUE((*stalled)->ExecOnce("BEGIN").has_value());
  ASSERT_TRUE((*stalled)->ExecOnce("SELECT shard FROM shard_leases WHERE shard = 7 FOR KEY SHARE").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // a's leases and heartbeat lapse
  ShardLeases b(pool, "worker-b", std::chrono::milliseconds(300), SystemTime());
  auto first = b.Round();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Holds(first->held, 7));  // still locked: skipped, not waited for
  EXPECT_EQ(static_cast<int>(first->held.size()), kShardCount - 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(kIdleInTransactionTimeoutMs + 500));
  auto later = b.Round();
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(Holds(later->held, 7));
  EXPECT_FALSE((*stalled)->ExecOnce("COMMIT").has_value());  // the server ended that session
}

TEST_F(ShardLeasesTest, ReleaseAllHandsEveryShardBackAtOnce) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_, SystemTime());
  ShardLeases b(pool, "worker-b", duration_, SystemTime());
  ASSERT_EQ(static_cast<int>(a.Round()->held.size()), kShardCount);
  ASSERT_TRUE(a.ReleaseAll().has_value());
  auto round = b.Round();
  ASSERT_TRUE(round.has_value());
  EXPECT_EQ(round->live_workers, 1);  // a's heartbeat went too
  EXPECT_EQ(static_cast<int>(round->held.size()), kShardCount);
}

TEST_F(ShardLeasesTest, ARestartedWorkerTakesItsOwnLeasesBackAtOnceUnderNewEpochs) {
  Pool pool(url_, 2);
  ASSERT_EQ(static_cast<int>(ShardLeases(pool, "worker-a", duration_, SystemTime()).Round()->held.size()), kShardCount);
  ShardLeases restarted(pool, "worker-a", duration_,
                        SystemTime());  // the same data directory's worker, killed and started again
  auto round = restarted.Round();
  ASSERT_TRUE(round.has_value());
  ASSERT_EQ(static_cast<int>(round->held.size()), kShardCount);
  for (const ShardLease& lease : round->held) EXPECT_EQ(lease.epoch, 2) << lease.shard;
  EXPECT_EQ(LeaseOf(restarted.Round()->held, 3).epoch, 2);  // then renewed as usual
}

TEST_F(ShardLeasesTest, EveryProcessSeesTheAttemptsInFlightOfLiveWorkers) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_, SystemTime());
  ASSERT_TRUE(a.Round().has_value());
  ASSERT_TRUE(a.PublishInFlight({"dlv_1", "dlv_2"}).has_value());
  auto seen = DeliveriesInFlight(pool, duration_);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(std::set<std::string>(seen->begin(), seen->end()), (std::set<std::string>{"dlv_1", "dlv_2"}));
  Sql("UPDATE hookd_workers SET heartbeat_at = 0");  // a dead worker's list no longer counts
  EXPECT_TRUE(DeliveriesInFlight(pool, duration_)->empty());
}

TEST_F(ShardLeasesTest, AnOutcomeUnderAStaleEpochIsRefusedAndChangesNothing) {
  auto store = PostgresStore::Open(url_, std::string(32, 'k'), 2);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  const std::string account = NewId("acc_");
  ASSERT_TRUE((*store)->CreateAccount(Account{account, "acme", "", 1, 1}, Actor{}).has_value());
  const Webhook w = hookd::testing::SampleWebhook(account, 1);
  ASSERT_TRUE((*store)->CreateWebhook(w, 10, Actor{}).has_value());
  NewEvent e;
  e.event = Event{NewId("evt_"), account, "task.completed", "production", "{}", "", 1};
  std::promise<Result<std::vector<AcceptedEvent>>> accepted;
  (*store)->AcceptEventsAsync({e}, [&](auto r) { accepted.set_value(std::move(r)); });
  auto events = accepted.get_future().get();
  ASSERT_TRUE(events.has_value());
  const Delivery delivery = (*events)[0].deliveries.at(0);

  Pool pool(url_, 1);
  ShardLeases owner(pool, "worker-a", duration_, SystemTime());
  const int64_t epoch = LeaseOf(owner.Round()->held, ShardOf(w.id)).epoch;
  auto record = [&](int number, int64_t under_epoch) {
    AttemptRecord r;
    r.attempt.id = NewId("att_");
    r.attempt.delivery_id = delivery.id;
    r.attempt.number = number;
    r.attempt.started_at_ms = 2;
    r.attempt.response_status = 500;
    r.new_status = DeliveryStatus::kFailed;
    r.next_attempt_at_ms = 1000;
    r.shard = ShardOf(w.id);
    r.lease_epoch = under_epoch;
    std::promise<std::pair<Status, std::vector<size_t>>> done;
    (*store)->RecordAttemptsAsync(
        {r}, [&](Status st, std::vector<size_t> refused) { done.set_value({std::move(st), std::move(refused)}); });
    return done.get_future().get();
  };
  auto first = record(1, epoch);
  ASSERT_TRUE(first.first.has_value());
  EXPECT_TRUE(first.second.empty());
  Sql("UPDATE shard_leases SET epoch = epoch + 1");  // another worker took the shard
  auto stale = record(2, epoch);
  ASSERT_TRUE(stale.first.has_value());
  EXPECT_EQ(stale.second, std::vector<size_t>{0});
  auto read = (*store)->GetDelivery(account, delivery.id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->attempt_count, 1);
  EXPECT_EQ(read->attempts.size(), 1u);
  // A circuit opened under the old epoch is neither written nor recorded in the audit trail.
  (*store)->UpdateWebhookHealthAsync({w.id, WebhookStatus::kFailing, CircuitState::kOpen, ShardOf(w.id), epoch});
  (*store)->Flush();
  EXPECT_EQ((*store)->GetWebhookById(w.id)->circuit, CircuitState::kClosed);
  (*store)->UpdateWebhookHealthAsync({w.id, WebhookStatus::kFailing, CircuitState::kOpen, ShardOf(w.id), epoch + 1});
  (*store)->Flush();
  EXPECT_EQ((*store)->GetWebhookById(w.id)->circuit, CircuitState::kOpen);
  AuditFilter opened;
  opened.action = "webhook.circuit_opened";
  EXPECT_EQ((*store)->ListAuditRecords(opened, PageRequest{})->data.size(), 1u);
}

TEST(Notices, PayloadsReadBackAsSentAndASplitKeepsEachUnderTheLimit) {
  std::vector<std::string> ids;
  std::vector<std::pair<std::string_view, std::string_view>> due;
  for (int i = 0; i < 600; ++i) ids.push_back(NewId("dlv_"));
  for (const std::string& id : ids) due.emplace_back(id, "wh_01");
  auto payloads = FormatWorkNotices("host-1-abc", due);
  ASSERT_GT(payloads.size(), 1u);
  size_t read = 0;
  for (const std::string& p : payloads) {
    EXPECT_LT(p.size(), 8000u);
    auto notice = ParseWorkNotice(p);
    ASSERT_TRUE(notice.has_value());
    EXPECT_EQ(notice->sender, "host-1-abc");
    for (const DueNotice& d : notice->deliveries) {
      EXPECT_EQ(d.shard, ShardOf("wh_01"));
      EXPECT_EQ(d.delivery_id, ids[read++]);
    }
  }
  EXPECT_EQ(read, ids.size());
  EXPECT_FALSE(ParseWorkNotice("host 999:dlv_1").has_value());  // no such shard
  auto change = ParseChangeNotice(FormatChangeNotice({ChangeKind::kWebhook, "wh_9"}));
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->kind, ChangeKind::kWebhook);
  EXPECT_EQ(change->id, "wh_9");
  EXPECT_FALSE(ParseChangeNotice("something_else").has_value());
}

TEST(Sharding, AWebhookAlwaysMapsToTheSameShardAndShardsAreUsedEvenly) {
  static_assert(ShardOf("wh_01") == ShardOf("wh_01"));
  std::vector<int> counts(kShardCount);
  for (int i = 0; i < 25'600; ++i) ++counts[static_cast<size_t>(ShardOf("wh_" + std::to_string(i)))];
  EXPECT_GT(*std::min_element(counts.begin(), counts.end()), 50);
  EXPECT_LT(*std::max_element(counts.begin(), counts.end()), 160);
}

}  // namespace
}  // namespace hookd::postgres
