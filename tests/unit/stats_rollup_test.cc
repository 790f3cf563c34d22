// The statistics rules: latency histograms (every percentile within 2 % of the exact one, exact below 50 ms,
// merge = add, the stored form round-trips and refuses anything else), the rollup's arithmetic (a change takes the
// old state away and adds the new; cells per minute and per hour in key order), and which cells answer a period.
#include "domain/stats_rollup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "domain/delivery_stats.h"
#include "domain/latency_histogram.h"

namespace hookd {
namespace {

int64_t ExactPercentile(std::vector<int64_t> v, double q) {
  std::ranges::sort(v);
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

TEST(LatencyHistogram, EveryPercentileIsWithinTwoPercentAndSmallLatenciesAreExact) {
  for (int64_t ms = 0; ms < 50; ++ms) EXPECT_EQ(LatencyHistogram::EstimateOf(LatencyHistogram::IndexOf(ms)), ms);
  for (int64_t ms = 50; ms < 10'000'000; ms = ms * 21 / 20 + 1) {
    const auto estimate = static_cast<double>(LatencyHistogram::EstimateOf(LatencyHistogram::IndexOf(ms)));
    EXPECT_LE(std::abs(estimate - static_cast<double>(ms)), 0.02 * static_cast<double>(ms)) << ms;
  }
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> spread(4.0, 1.5);  // a long tail, as real endpoints have
  std::vector<int64_t> latencies;
  LatencyHistogram h;
  for (int i = 0; i < 20'000; ++i) {
    latencies.push_back(static_cast<int64_t>(spread(random)));
    h.Add(latencies.back());
  }
  EXPECT_EQ(h.Count(), 20'000);
  for (double q : {0.0, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    const auto exact = static_cast<double>(ExactPercentile(latencies, q));
    EXPECT_LE(std::abs(static_cast<double>(*h.Percentile(q)) - exact), 0.02 * exact) << q;
  }
  EXPECT_FALSE(LatencyHistogram{}.Percentile(0.5).has_value());
}

TEST(LatencyHistogram, MergingAddsAndTheStoredFormRoundTrips) {
  LatencyHistogram a, b, both;
  for (int64_t ms : {3, 3, 120, 4000}) a.Add(ms), both.Add(ms);
  for (int64_t ms : {3, 900}) b.Add(ms), both.Add(ms);
  a.Merge(b);
  EXPECT_EQ(a, both);
  EXPECT_EQ(LatencyHistogram::Decode(a.Encode()), a);
  EXPECT_EQ(LatencyHistogram{}.Encode(), "{}");
  b.Add(900, -1);  // taking away what was added leaves no empty bucket behind
  b.Add(3, -1);
  EXPECT_TRUE(b.Empty());
  for (const char* bad : {"", "{", "}", "{1}", "{1,2,}", "{a,1}", "[1,2]", "{1,,2}", "{1,2,3}"}) {
    EXPECT_FALSE(LatencyHistogram::Decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(LatencyHistogram::Decode("{5,2,5,-2}"), LatencyHistogram{});
}

TEST(StatsDelta, AChangeTakesTheOldStateAwayAndAddsTheNew) {
  StatsDelta delta;
  const DeliveryStatsKey key{"acc_1", "wh_1", "task.completed", 90'000};  // minute 60 000, hour 0
  delta.Created(key);
  delta.Change(key, DeliveryStatsState{}, DeliveryStatsState{DeliveryStatus::kFailed, 1, std::nullopt});
  delta.Change(key, DeliveryStatsState{DeliveryStatus::kFailed, 1, std::nullopt},
               DeliveryStatsState{DeliveryStatus::kSucceeded, 2, 25});
  delta.Created({"acc_1", "wh_0", "task.completed", 30'000});
  const std::vector<StatsCell> cells = delta.Cells();
  ASSERT_EQ(cells.size(), 4u);  // two minutes, then the hour of each webhook: the rollup's key order
  EXPECT_EQ(std::tie(cells[0].width_ms, cells[0].start_ms, cells[0].webhook_id),
            std::tuple(kStatsMinuteMs, int64_t{0}, std::string("wh_0")));
  EXPECT_EQ(std::tie(cells[1].width_ms, cells[1].start_ms, cells[1].webhook_id),
            std::tuple(kStatsMinuteMs, int64_t{60'000}, std::string("wh_1")));
  EXPECT_EQ(cells[2].width_ms, kStatsHourMs);
  EXPECT_EQ(cells[2].webhook_id, "wh_0");
  const StatsCounts& c = cells[1].counts;
  EXPECT_EQ(std::tuple(c.pending, c.failed, c.succeeded, c.dead, c.attempts), std::tuple(0, 0, 1, 0, 2));
  EXPECT_EQ(c.latency.Percentile(0.5), 25);
  EXPECT_EQ(cells[3].counts.succeeded, 1);

  StatsDelta undone;  // a change and its reverse add nothing, and nothing is written
  undone.Change(key, DeliveryStatsState{DeliveryStatus::kDead, 3, std::nullopt},
                ReopenedStatsState({DeliveryStatus::kDead, 3, std::nullopt}));
  undone.Change(key, DeliveryStatsState{DeliveryStatus::kPending, 3, std::nullopt},
                DeliveryStatsState{DeliveryStatus::kDead, 3, std::nullopt});
  EXPECT_TRUE(undone.Cells().empty());
}

TEST(PlanStats, WholeHoursComeFromHourCellsAndTheRaggedEndsFromMinutes) {
  constexpr int64_t kHour = kStatsHourMs, kMinute = kStatsMinuteMs;
  const int64_t now = 1000 * kHour + 17 * kMinute + 5'000;
  const StatsPlan day = PlanStats(now - 24 * kHour, now, std::nullopt, 0);
  EXPECT_EQ(day.since_ms, 976 * kHour + 17 * kMinute);
  EXPECT_EQ(day.until_ms, 1000 * kHour + 18 * kMinute);
  EXPECT_EQ(day.bucket_ms, kHour);
  ASSERT_EQ(day.reads.size(), 3u);
  EXPECT_EQ(day.reads[0].width_ms, kMinute);
  EXPECT_EQ(std::pair(day.reads[0].from_ms, day.reads[0].until_ms), std::pair(day.since_ms, 977 * kHour));
  EXPECT_EQ(day.reads[1].width_ms, kHour);
  EXPECT_EQ(std::pair(day.reads[1].from_ms, day.reads[1].until_ms), std::pair(977 * kHour, 1000 * kHour));
  EXPECT_EQ(std::pair(day.reads[2].from_ms, day.reads[2].until_ms), std::pair(1000 * kHour, day.until_ms));

  const StatsPlan fine = PlanStats(now - 6 * kHour, now, 5 * kMinute, 0);  // finer than an hour: minutes throughout
  ASSERT_EQ(fine.reads.size(), 1u);
  EXPECT_EQ(fine.reads[0].width_ms, kMinute);
  EXPECT_EQ(fine.bucket_ms, 5 * kMinute);

  const StatsPlan week = PlanStats(now - 168 * kHour, now, 5 * kMinute, 0);  // over a day: whole hours
  EXPECT_EQ(week.bucket_ms, kHour);

  // Minute cells older than the delivery log are gone: the period starts at its hour.
  const StatsPlan old = PlanStats(now - 24 * kHour, now, std::nullopt, now - kHour);
  EXPECT_EQ(old.since_ms, 976 * kHour);
  EXPECT_EQ(old.reads.front().width_ms, kHour);
  EXPECT_EQ(old.bucket_ms, kHour);

  const StatsPlan brief = PlanStats(now - 10 * kMinute, now, std::nullopt, 0);
  ASSERT_EQ(brief.reads.size(), 1u);
  EXPECT_EQ(brief.reads[0].width_ms, kMinute);
  EXPECT_EQ(brief.bucket_ms, kMinute);
}

TEST(StatsBuilder, SumsCellsFourWaysAndFillsTheSeries) {
  const StatsPlan plan{0, 3 * kStatsHourMs, kStatsHourMs, {}};
  StatsBuilder b(plan);
  StatsCounts one;
  one.succeeded = 2;
  one.attempts = 3;
  one.latency.Add(10);
  one.latency.Add(30);
  StatsCounts other;
  other.dead = 1;
  other.attempts = 5;
  b.Add("task.completed", "wh_1", 0, one);
  b.Add("user.created", "wh_1", 2 * kStatsHourMs + kStatsMinuteMs, other);
  const DeliveryStats s = b.Finish();
  EXPECT_EQ(s.overall.total, 3);
  EXPECT_DOUBLE_EQ(s.overall.avg_attempts, 8.0 / 3.0);
  EXPECT_EQ(s.overall.p50_latency_ms, 10);
  EXPECT_EQ(s.overall.p95_latency_ms, 10);  // nearest rank below: rank 0 of 2
  ASSERT_EQ(s.series.size(), 3u);
  EXPECT_EQ(s.series[1].total, 0);
  EXPECT_EQ(s.series[2].dead, 1);
  ASSERT_EQ(s.by_webhook.size(), 1u);
  EXPECT_EQ(s.by_event_type.size(), 2u);
}

}  // namespace
}  // namespace hookd
