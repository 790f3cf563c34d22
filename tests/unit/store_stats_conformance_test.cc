// The statistics rollup on every backend: through each change a delivery goes through (accepted, attempted and
// failed, retried by the schedule, dead, reopened alone or in bulk, created again by a replay, its webhook deleted),
// and through an outcome that arrives after the delivery finished, the statistics add up to the delivery log
// exactly, and the percentiles are within the histogram's stated error of the exact ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "domain/delivery_stats.h"
#include "store_conformance.h"

namespace hookd {
namespace {

struct LogCounts {
  int64_t total = 0, pending = 0, failed = 0, succeeded = 0, dead = 0, attempts = 0;
  std::vector<int64_t> latencies;
};

class StoreStats : public StoreConformance {
 protected:
  // The statistics of the last hour, by the minute.
  DeliveryStats HourStats(const std::string& webhook = "") {
    auto stats = store_->Stats(StatsQuery{account_, webhook, PlanStats(NowMs() - 3'600'000, NowMs(), 60'000, 0)});
    EXPECT_TRUE(stats.has_value());
    return stats.value_or(DeliveryStats{});
  }

  // The delivery log of the account, counted the way the statistics count it, overall and per key.
  std::map<std::string, LogCounts> LogByKey() {
    std::map<std::string, LogCounts> out;
    PageRequest page{.limit = 200, .cursor = ""};
    for (;;) {
      auto listed = store_->ListDeliveries(account_, DeliveryFilter{}, page);
      EXPECT_TRUE(listed.has_value());
      if (!listed) return out;
      for (const Delivery& d : listed->data) {
        for (const std::string& key : {std::string("all"), "type:" + d.event_type, "webhook:" + d.webhook_id}) {
          LogCounts& c = out[key];
          ++c.total;
          c.attempts += d.attempt_count;
          switch (d.status) {
            case DeliveryStatus::kSucceeded:
              ++c.succeeded;
              if (d.latency_ms) c.latencies.push_back(*d.latency_ms);
              break;
            case DeliveryStatus::kFailed:
              ++c.failed;
              break;
            case DeliveryStatus::kDead:
              ++c.dead;
              break;
            default:
              ++c.pending;
          }
        }
      }
      if (!listed->next_cursor) return out;
      page.cursor = *listed->next_cursor;
    }
  }

  static void ExpectRowMatches(const DeliveryStatsRow& row, const LogCounts& log) {
    SCOPED_TRACE(row.key);
    EXPECT_EQ(row.total, log.total);
    EXPECT_EQ(row.pending, log.pending);
    EXPECT_EQ(row.failed, log.failed);
    EXPECT_EQ(row.succeeded, log.succeeded);
    EXPECT_EQ(row.dead, log.dead);
    EXPECT_DOUBLE_EQ(row.avg_attempts,
                     log.total ? static_cast<double>(log.attempts) / static_cast<double>(log.total) : 0);
    std::vector<int64_t> sorted = log.latencies;
    std::ranges::sort(sorted);
    for (auto [q, got] : {std::pair{0.50, row.p50_latency_ms}, {0.95, row.p95_latency_ms}}) {
      if (sorted.empty()) {
        EXPECT_FALSE(got.has_value());
        continue;
      }
      const auto exact = static_cast<double>(sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))]);
      ASSERT_TRUE(got.has_value());
      EXPECT_LE(std::abs(static_cast<double>(*got) - exact), 0.02 * exact) << "q=" << q;
    }
  }

  void ExpectStatsMatchTheLog() {
    const DeliveryStats stats = HourStats();
    auto log = LogByKey();
    ExpectRowMatches(stats.overall, log["all"]);
    int64_t keyed = 0;
    for (const auto& row : stats.by_event_type) ExpectRowMatches(row, log["type:" + row.key]), ++keyed;
    for (const auto& row : stats.by_webhook) ExpectRowMatches(row, log["webhook:" + row.key]), ++keyed;
    EXPECT_EQ(static_cast<size_t>(keyed), log.size() - 1);  // every type and webhook of the log, and no other
    int64_t in_series = 0;
    for (const auto& bucket : stats.series) in_series += bucket.total;
    EXPECT_EQ(in_series, log["all"].total);
  }
};

TEST_P(StoreStats, StatsAddUpToTheDeliveryLogThroughEveryChange) {
  auto a = NewWebhook(account_, {"task.*"});
  auto b = NewWebhook(account_, {"*"});
  ASSERT_TRUE(a && b);
  std::vector<NewEvent> events;
  for (int i = 0; i < 40; ++i) events.push_back(Event(account_, i % 2 ? "user.created" : "task.completed"));
  auto accepted = Accept(std::move(events));
  ASSERT_TRUE(accepted.has_value());
  std::vector<Delivery> all;
  for (const AcceptedEvent& e : *accepted) all.insert(all.end(), e.deliveries.begin(), e.deliveries.end());
  ASSERT_EQ(all.size(), 60u);
  ExpectStatsMatchTheLog();  // all pending

  for (size_t i = 0; i < all.size(); ++i) {
    const Delivery& d = all[i];
    const auto latency = static_cast<int64_t>(1 + i * i * 37 % 5000);
    switch (i % 5) {
      case 0:  // succeeded at once
        ASSERT_TRUE(Record(d, DeliveryStatus::kSucceeded, 1, latency).has_value());
        break;
      case 1:  // failed, then succeeded
        ASSERT_TRUE(Record(d, DeliveryStatus::kFailed, 1).has_value());
        ASSERT_TRUE(Record(d, DeliveryStatus::kSucceeded, 2, latency).has_value());
        break;
      case 2:  // failed twice, then dead
        ASSERT_TRUE(Record(d, DeliveryStatus::kFailed, 1).has_value());
        ASSERT_TRUE(Record(d, DeliveryStatus::kFailed, 2).has_value());
        ASSERT_TRUE(Record(d, DeliveryStatus::kDead, 3).has_value());
        break;
      case 3:  // still retrying
        ASSERT_TRUE(Record(d, DeliveryStatus::kFailed, 1).has_value());
        break;
      default:  // not attempted yet
        break;
    }
  }
  ExpectStatsMatchTheLog();

  // A late outcome of a finished delivery changes nothing.
  ASSERT_TRUE(Record(all[0], DeliveryStatus::kFailed, 2).has_value());
  ExpectStatsMatchTheLog();

  // A dead delivery retried alone, the rest of b's dead and failed ones in bulk, then some of them succeed.
  ASSERT_TRUE(store_->ReopenDelivery(account_, all[2].id, Actor{}).has_value());
  auto bulk = store_->ReopenDeliveries(b->id, {DeliveryStatus::kDead, DeliveryStatus::kFailed}, 0, NowMs() + 1000, "",
                                       1000, nullptr);
  ASSERT_TRUE(bulk.has_value());
  EXPECT_FALSE(bulk->deliveries.empty());
  ExpectStatsMatchTheLog();
  for (const Delivery& d : bulk->deliveries) {
    ASSERT_TRUE(Record(d, DeliveryStatus::kSucceeded, d.attempt_count + 1, 4321).has_value());
  }
  ExpectStatsMatchTheLog();

  // A replay makes new deliveries; deleting a webhook keeps its log and its statistics, what was unfinished dead.
  ASSERT_TRUE(store_->CreateDeliveries((*accepted)[0].event, {a->id}, nullptr).has_value());
  ExpectStatsMatchTheLog();
  const int64_t a_total = HourStats(a->id).overall.total;
  ASSERT_TRUE(store_->DeleteWebhook(account_, a->id, Actor{}).has_value());
  ExpectStatsMatchTheLog();
  EXPECT_EQ(HourStats(a->id).overall.total, a_total);
  EXPECT_EQ(HourStats(a->id).overall.pending, 0);
}

TEST_P(StoreStats, RetentionPurgesMinuteCellsWithTheLogAndHourCellsOnTheirOwnHorizon) {
  ASSERT_TRUE(NewWebhook(account_).has_value());
  ASSERT_TRUE(Accept({Event(account_)}).has_value());
  const int64_t now = NowMs();
  const int64_t hour = now / kStatsHourMs * kStatsHourMs;
  const StatsPlan hours_only{hour, hour + kStatsHourMs, kStatsHourMs, {{kStatsHourMs, hour, hour + kStatsHourMs}}};
  auto by_hour = [&] { return store_->Stats(StatsQuery{account_, "", hours_only})->overall.total; };
  EXPECT_EQ(HourStats().overall.total, 1);
  EXPECT_EQ(by_hour(), 1);

  auto purged = store_->PurgeStatsOlderThan(now + 120'000, 0, 100);  // the minute cells only
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(HourStats().overall.total, 0);
  EXPECT_EQ(by_hour(), 1);
  purged = store_->PurgeStatsOlderThan(now + 120'000, now + 7'200'000, 100);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(by_hour(), 0);
}

TEST_P(StoreStats, TheMigrationThatCreatesTheRollupFillsItFromTheDeliveriesStored) {
  auto w = NewWebhook(account_);
  ASSERT_TRUE(w.has_value());
  std::vector<NewEvent> events;
  for (int i = 0; i < 30; ++i) events.push_back(Event(account_, i % 3 ? "user.created" : "task.completed"));
  auto accepted = Accept(std::move(events));
  ASSERT_TRUE(accepted.has_value());
  for (size_t i = 0; i < 20; ++i) {  // the last ten are left pending (on SQLite, still awaiting their rows)
    const Delivery& d = (*accepted)[i].deliveries.at(0);
    const auto status = i % 4 == 0   ? DeliveryStatus::kFailed
                        : i % 4 == 1 ? DeliveryStatus::kDead
                                     : DeliveryStatus::kSucceeded;
    ASSERT_TRUE(Record(d, status, 1, static_cast<int64_t>(10 + i * 97)).has_value());
  }
  ExpectStatsMatchTheLog();
  const DeliveryStats before = HourStats();

  store_.reset();
  GetParam().drop_stats_rollup(location_);
  auto reopened = GetParam().reopen(location_, std::string(32, 'k'));
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  store_ = std::move(*reopened);
  ExpectStatsMatchTheLog();
  const DeliveryStats after = HourStats();
  EXPECT_EQ(after.overall.total, 30);
  EXPECT_EQ(after.overall.p50_latency_ms, before.overall.p50_latency_ms);
  EXPECT_EQ(after.overall.p95_latency_ms, before.overall.p95_latency_ms);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreStats, ::testing::Values(kSqlite, kPostgres),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hookd
