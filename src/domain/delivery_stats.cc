// Delivery statistics from rollup cells: the plan of which cells to read, and their sums grouped four ways.
#include "domain/delivery_stats.h"

#include <algorithm>

#include "common/time_util.h"

namespace hookd {
namespace {

int64_t FloorTo(int64_t t, int64_t width) {
  return t >= 0 ? t / width * width : (t - width + 1) / width * width;
}
int64_t CeilTo(int64_t t, int64_t width) {
  return FloorTo(t + width - 1, width);
}

}  // namespace

StatsPlan PlanStats(int64_t since_ms, int64_t until_ms, std::optional<int64_t> bucket_ms,
                    int64_t minutes_kept_since_ms) {
  StatsPlan plan;
  plan.since_ms = FloorTo(since_ms, kStatsMinuteMs);
  if (plan.since_ms < minutes_kept_since_ms) plan.since_ms = FloorTo(since_ms, kStatsHourMs);
  plan.until_ms = std::max(CeilTo(until_ms, kStatsMinuteMs), plan.since_ms + kStatsMinuteMs);
  const int64_t period = plan.until_ms - plan.since_ms;
  int64_t bucket = bucket_ms.value_or(period / 24);
  bucket = std::max(kStatsMinuteMs, FloorTo(bucket, kStatsMinuteMs));
  if (period > kMinuteSeriesMaxPeriodMs || plan.since_ms < minutes_kept_since_ms) {
    bucket = std::max(kStatsHourMs, CeilTo(bucket, kStatsHourMs));
  }
  plan.bucket_ms = bucket;
  if (bucket % kStatsHourMs != 0) {
    plan.reads.push_back({kStatsMinuteMs, plan.since_ms, plan.until_ms});
    return plan;
  }
  const int64_t first_hour = CeilTo(plan.since_ms, kStatsHourMs);
  const int64_t last_hour = FloorTo(plan.until_ms, kStatsHourMs);
  if (first_hour >= last_hour) {  // within one hour, or across one boundary: minutes throughout
    plan.reads.push_back({kStatsMinuteMs, plan.since_ms, plan.until_ms});
    return plan;
  }
  if (plan.since_ms < first_hour) plan.reads.push_back({kStatsMinuteMs, plan.since_ms, first_hour});
  plan.reads.push_back({kStatsHourMs, first_hour, last_hour});
  if (last_hour < plan.until_ms) plan.reads.push_back({kStatsMinuteMs, last_hour, plan.until_ms});
  return plan;
}

StatsBuilder::StatsBuilder(const StatsPlan& plan) : bucket_ms_(plan.bucket_ms) {
  if ((plan.until_ms - plan.since_ms) / bucket_ms_ > kMaxFilledBuckets) return;
  for (int64_t start = FloorTo(plan.since_ms, bucket_ms_); start < plan.until_ms; start += bucket_ms_) {
    by_bucket_[start];
  }
}

void StatsBuilder::Add(const std::string& event_type, const std::string& webhook_id, int64_t start_ms,
                       const StatsCounts& counts) {
  overall_.Merge(counts);
  by_type_[event_type].Merge(counts);
  by_webhook_[webhook_id].Merge(counts);
  by_bucket_[FloorTo(start_ms, bucket_ms_)].Merge(counts);
}

void StatsBuilder::AddStored(const std::string& event_type, const std::string& webhook_id, int64_t start_ms,
                             const StatsCounts& counts, std::string_view latency) {
  Add(event_type, webhook_id, start_ms, counts);
  for (StatsCounts* c :
       {&overall_, &by_type_[event_type], &by_webhook_[webhook_id], &by_bucket_[FloorTo(start_ms, bucket_ms_)]}) {
    if (!c->latency.MergeEncoded(latency)) return;
  }
}

DeliveryStatsRow StatsBuilder::RowOf(std::string key, const StatsCounts& c) {
  DeliveryStatsRow row;
  row.key = std::move(key);
  row.total = c.Total();
  row.succeeded = c.succeeded;
  row.failed = c.failed;
  row.dead = c.dead;
  row.pending = c.pending;
  row.avg_attempts = row.total ? static_cast<double>(c.attempts) / static_cast<double>(row.total) : 0;
  row.p50_latency_ms = c.latency.Percentile(0.50);
  row.p95_latency_ms = c.latency.Percentile(0.95);
  return row;
}

DeliveryStats StatsBuilder::Finish() {
  DeliveryStats stats;
  stats.overall = RowOf("all", overall_);
  for (auto& [type, c] : by_type_) {
    if (c.Total() > 0) stats.by_event_type.push_back(RowOf(type, c));
  }
  for (auto& [webhook, c] : by_webhook_) {
    if (c.Total() > 0) stats.by_webhook.push_back(RowOf(webhook, c));
  }
  for (auto& [start, c] : by_bucket_) stats.series.push_back(RowOf(FormatRfc3339(start), c));
  return stats;
}

}  // namespace hookd
