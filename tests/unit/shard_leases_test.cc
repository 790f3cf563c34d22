// Shard leases on a real PostgreSQL: a lone worker takes every shard, two split them without overlap (the first
// hands back its surplus), a lapsed lease moves with a higher fencing epoch, and shutdown gives everything back.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "domain/sharding.h"
#include "postgres_server.h"
#include "store/postgres/migrations.h"
#include "store/postgres/shard_leases.h"

namespace hookd::postgres {
namespace {

class ShardLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = hookd::testing::NewPostgresDatabase();
    auto conn = Connection::Open(url_);
    ASSERT_TRUE(conn.has_value()) << conn.error().message;
    ASSERT_TRUE(ApplyMigrations(**conn).has_value());
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
  ShardLeases a(pool, "worker-a", duration_);
  auto round = a.Round();
  ASSERT_TRUE(round.has_value()) << round.error().message;
  EXPECT_EQ(round->live_workers, 1);
  EXPECT_EQ(static_cast<int>(round->held.size()), kShardCount);
  EXPECT_TRUE(round->surplus.empty());
  for (const auto& [shard, lease] : round->held) EXPECT_EQ(lease.epoch, 1) << shard;
  auto again = a.Round();  // renewal keeps the epoch
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->held.at(7).epoch, 1);
}

TEST_F(ShardLeasesTest, TwoWorkersSplitTheShardsWithoutOverlap) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_);
  ShardLeases b(pool, "worker-b", duration_);
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
  for (const auto& [shard, lease] : a_third->held) all.insert(shard);
  for (const auto& [shard, lease] : b_second->held) {
    EXPECT_TRUE(all.insert(shard).second) << "shard " << shard << " held twice";
    EXPECT_EQ(lease.epoch, 2);  // moved once
  }
  EXPECT_EQ(static_cast<int>(all.size()), kShardCount);
}

TEST_F(ShardLeasesTest, ALapsedLeaseMovesUnderAHigherEpochAndItsFormerOwnerKeepsNothing) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_);
  ShardLeases b(pool, "worker-b", duration_);
  ASSERT_EQ(static_cast<int>(a.Round()->held.size()), kShardCount);
  // Worker a stops (paused or dead): its heartbeat and leases lapse.
  Sql("UPDATE shard_leases SET expires_at = 0 WHERE owner = 'worker-a'");
  Sql("UPDATE hookd_workers SET heartbeat_at = 0 WHERE id = 'worker-a'");
  auto taken = b.Round();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->live_workers, 1);
  ASSERT_EQ(static_cast<int>(taken->held.size()), kShardCount);
  for (const auto& [shard, lease] : taken->held) EXPECT_EQ(lease.epoch, 2) << shard;
  auto back = a.Round();  // a comes back: its lapsed leases are not renewed, and none is free
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->held.empty());
  EXPECT_EQ(back->live_workers, 2);
}

TEST_F(ShardLeasesTest, ReleaseAllHandsEveryShardBackAtOnce) {
  Pool pool(url_, 2);
  ShardLeases a(pool, "worker-a", duration_);
  ShardLeases b(pool, "worker-b", duration_);
  ASSERT_EQ(static_cast<int>(a.Round()->held.size()), kShardCount);
  ASSERT_TRUE(a.ReleaseAll().has_value());
  auto round = b.Round();
  ASSERT_TRUE(round.has_value());
  EXPECT_EQ(round->live_workers, 1);  // a's heartbeat went too
  EXPECT_EQ(static_cast<int>(round->held.size()), kShardCount);
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
