// The lease keeper's rules, round by round on the test's thread, against a distribution whose rounds the test
// scripts and an engine that records what it is told: what the engine runs and when it learns it, which shards are
// read (once per epoch, again when taken anew or when announcements may have been lost), how surplus shards drain
// before they go back, what a failed round changes (nothing), and what is published; and `delivering` as every
// process sees it (SharedInFlight). No sleeps, no database.
#include "cluster/lease_keeper.h"

#include <gtest/gtest.h>

#include <limits>

#include "cluster/shared_in_flight.h"
#include "fakes/fake_api_ports.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_work_distribution.h"
#include "fakes/recording_delivery_work.h"
#include "store/local_work_distribution.h"

namespace hookd {
namespace {

using testing::FakeClock;
using testing::FakeWorkDistribution;
using testing::RecordingDeliveryWork;

constexpr int64_t kLeaseMs = 15'000;

class LeaseKeeperTest : public ::testing::Test {
 protected:
  // A round in which this process holds `shards` (each at `epoch`), beyond its share `surplus`.
  LeaseRound Holding(const std::vector<int>& shards, int64_t epoch = 1, std::vector<int> surplus = {}) {
    LeaseRound round;
    for (int shard : shards) round.held.push_back(ShardLease{shard, epoch, clock_.SteadyMs() + kLeaseMs, true});
    round.surplus = std::move(surplus);
    return round;
  }
  DueDelivery Due(const std::string& id) { return DueDelivery{id, "wh_x", "evt_x", 0, 0, 0, nullptr}; }

  FakeClock clock_;
  FakeWorkDistribution distribution_;
  RecordingDeliveryWork engine_;
  LeaseKeeper keeper_{distribution_, engine_, clock_, kLeaseMs};
};

TEST_F(LeaseKeeperTest, TakenShardsAreRunThenReadOncePerEpoch) {
  distribution_.unfinished[3] = {Due("dlv_a"), Due("dlv_b")};
  distribution_.unfinished[9] = {Due("dlv_c")};
  distribution_.next_round = Holding({3, 9});
  keeper_.RunRound();
  EXPECT_EQ(engine_.HeldShards(), (std::vector<int>{3, 9}));
  EXPECT_TRUE(keeper_.Holds(3) && keeper_.Holds(9) && !keeper_.Holds(4));
  ASSERT_EQ(distribution_.scans.size(), 1u);
  EXPECT_EQ(distribution_.scans[0], (std::vector<int>{3, 9}));
  EXPECT_EQ(engine_.read, (std::vector<std::string>{"dlv_a", "dlv_b", "dlv_c"}));
  EXPECT_EQ(engine_.open_reads, engine_.closed_reads);                           // every read token is closed
  EXPECT_EQ(engine_.leases[0].expires_steady_ms, clock_.SteadyMs() + kLeaseMs);  // the engine's deadline, as given

  clock_.Advance(1'000);
  distribution_.next_round = Holding({3, 9});  // renewed: nothing new to read
  keeper_.RunRound();
  EXPECT_EQ(distribution_.scans.size(), 1u);
  EXPECT_EQ(engine_.lease_updates, 2);
}

TEST_F(LeaseKeeperTest, AShardTakenAgainUnderANewEpochIsReadAgain) {
  distribution_.next_round = Holding({3, 9}, 1);
  keeper_.RunRound();
  LeaseRound round = Holding({3, 9}, 1);
  round.held[1].epoch = 2;  // shard 9 lapsed and was taken back: another process may have run it meanwhile
  distribution_.next_round = round;
  keeper_.RunRound();
  ASSERT_EQ(distribution_.scans.size(), 2u);
  EXPECT_EQ(distribution_.scans[1], (std::vector<int>{9}));
}

TEST_F(LeaseKeeperTest, AShardLostFromARoundIsDroppedAndReadAgainWhenRetaken) {
  distribution_.next_round = Holding({3, 9});
  keeper_.RunRound();
  distribution_.next_round = Holding({3});
  keeper_.RunRound();
  EXPECT_EQ(engine_.HeldShards(), (std::vector<int>{3}));
  EXPECT_FALSE(keeper_.Holds(9));
  distribution_.next_round = Holding({3, 9});
  keeper_.RunRound();
  ASSERT_EQ(distribution_.scans.size(), 2u);
  EXPECT_EQ(distribution_.scans[1], (std::vector<int>{9}));
}

TEST_F(LeaseKeeperTest, AFailedRoundChangesNothingAndTheNextGoesOn) {
  distribution_.next_round = Holding({3});
  keeper_.RunRound();
  distribution_.next_round = Fail(Error::Unavailable("the database is away"));
  clock_.Advance(1'000);
  keeper_.RunRound();
  keeper_.RunRound();
  EXPECT_EQ(engine_.lease_updates, 1);  // the engine runs on to its leases' own deadlines
  EXPECT_EQ(engine_.leases[0].expires_steady_ms - clock_.SteadyMs(), kLeaseMs - 1'000);  // running out
  EXPECT_TRUE(keeper_.Holds(3));
  EXPECT_EQ(distribution_.scans.size(), 1u);
  distribution_.next_round = Holding({3});
  keeper_.RunRound();
  EXPECT_EQ(engine_.lease_updates, 2);
  EXPECT_EQ(engine_.leases[0].expires_steady_ms, clock_.SteadyMs() + kLeaseMs);  // renewed from now
  EXPECT_EQ(distribution_.scans.size(), 1u);
}

TEST_F(LeaseKeeperTest, SurplusShardsAreKeptFromTheEngineAndGoBackOnceNothingRunsThere) {
  distribution_.next_round = Holding({1, 2});
  keeper_.RunRound();
  // Another process joined: shard 2 is beyond this one's share.
  engine_.in_flight_by_shard[2] = 1;
  distribution_.next_round = Holding({1, 2}, 1, {2});
  keeper_.RunRound();
  EXPECT_EQ(engine_.HeldShards(), (std::vector<int>{1}));  // nothing new starts there
  EXPECT_FALSE(keeper_.Holds(2));
  EXPECT_TRUE(distribution_.releases.empty());  // a round to drain, at least
  keeper_.RunRound();
  EXPECT_TRUE(distribution_.releases.empty());  // its attempt is still in flight
  engine_.in_flight_by_shard[2] = 0;
  keeper_.RunRound();
  ASSERT_EQ(distribution_.releases.size(), 1u);
  EXPECT_EQ(distribution_.releases[0], (std::vector<int>{2}));
}

TEST_F(LeaseKeeperTest, WhereAnnouncementsMayBeLostEveryHeldShardIsReadAgainEveryFiveMinutes) {
  distribution_.next_round = Holding({3, 9});
  keeper_.RunRound();
  clock_.Advance(4 * 60'000);
  keeper_.RunRound();
  EXPECT_EQ(distribution_.scans.size(), 1u);
  clock_.Advance(60'000);
  keeper_.RunRound();
  ASSERT_EQ(distribution_.scans.size(), 2u);
  EXPECT_EQ(distribution_.scans[1], (std::vector<int>{3, 9}));
  keeper_.RescanAll();  // notices were missed
  keeper_.RunRound();
  EXPECT_EQ(distribution_.scans.size(), 3u);
}

TEST_F(LeaseKeeperTest, WhereNothingCanBeLostShardsAreReadOnlyWhenTaken) {
  distribution_.may_lose_announcements = false;
  distribution_.next_round = Holding({3});
  keeper_.RunRound();
  clock_.Advance(60 * 60'000);
  keeper_.RunRound();
  EXPECT_EQ(distribution_.scans.size(), 1u);
}

TEST_F(LeaseKeeperTest, InFlightAttemptsArePublishedWhenTheyChangeAndStopGivesEverythingBack) {
  distribution_.next_round = Holding({3});
  engine_.in_flight_ids = {"dlv_b", "dlv_a"};
  keeper_.RunRound();
  keeper_.RunRound();
  ASSERT_EQ(distribution_.published.size(), 1u);
  EXPECT_EQ(distribution_.published[0], (std::vector<std::string>{"dlv_a", "dlv_b"}));
  engine_.in_flight_ids = {};
  keeper_.RunRound();
  EXPECT_EQ(distribution_.published.size(), 2u);
  keeper_.Stop();
  EXPECT_EQ(distribution_.release_all, 1);
  EXPECT_FALSE(keeper_.Holds(3));
}

TEST(SharedInFlight, DeliveringIsTheEnginesOwnOrAnyProcesssReadAtMostEveryQuarterSecond) {
  FakeClock clock;
  FakeWorkDistribution distribution;
  testing::FakeInFlight own;
  own.ids = {"dlv_here"};
  distribution.in_flight_everywhere = std::vector<std::string>{"dlv_there"};
  SharedInFlight shared(own, distribution, clock);
  EXPECT_TRUE(shared.IsInFlight("dlv_here"));
  EXPECT_EQ(distribution.in_flight_reads, 0);  // this process's own attempts need no read
  EXPECT_TRUE(shared.IsInFlight("dlv_there"));
  EXPECT_FALSE(shared.IsInFlight("dlv_nowhere"));
  EXPECT_EQ(distribution.in_flight_reads, 1);  // one read serves every request for a while
  distribution.in_flight_everywhere = std::vector<std::string>{};
  clock.Advance(249);
  EXPECT_TRUE(shared.IsInFlight("dlv_there"));
  clock.Advance(1);
  EXPECT_FALSE(shared.IsInFlight("dlv_there"));
  EXPECT_EQ(distribution.in_flight_reads, 2);
  distribution.in_flight_everywhere = Fail(Error::Unavailable("the database is away"));
  clock.Advance(250);
  EXPECT_FALSE(shared.IsInFlight("dlv_there"));  // a failed read leaves the last answer standing
  distribution.in_flight_everywhere = std::vector<std::string>{"dlv_later"};
  EXPECT_TRUE(shared.IsInFlight("dlv_later"));  // and the next request reads again
}

TEST(LocalWorkDistribution, OneProcessHoldsEveryShardForEverUnfenced) {
  auto round = LocalWorkDistribution::EveryShard();
  ASSERT_EQ(round.held.size(), static_cast<size_t>(kShardCount));
  for (int shard = 0; shard < kShardCount; ++shard) {
    EXPECT_EQ(round.held[static_cast<size_t>(shard)].shard, shard);
    EXPECT_EQ(round.held[static_cast<size_t>(shard)].epoch, 0);
    EXPECT_EQ(round.held[static_cast<size_t>(shard)].expires_steady_ms, std::numeric_limits<int64_t>::max());
    EXPECT_FALSE(round.held[static_cast<size_t>(shard)].taken_over);
  }
  EXPECT_TRUE(round.surplus.empty());
}

TEST(FairShare, SharesRoundUpAndTheHighestShardsGoBack) {
  EXPECT_EQ(FairShare(1), kShardCount);
  EXPECT_EQ(FairShare(3), 86);
  EXPECT_EQ(SurplusShards({1, 5, 9, 12}, 2), (std::vector<int>{12, 9}));
  EXPECT_TRUE(SurplusShards({1, 5}, 2).empty());
  EXPECT_TRUE(SurplusShards({}, 0).empty());
}

}  // namespace
}  // namespace hookd
