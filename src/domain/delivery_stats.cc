// Delivery statistics: counts, average attempts and latency percentiles, grouped four ways.
#include "domain/delivery_stats.h"

#include <algorithm>

#include "common/time_util.h"

namespace hookd {

void StatsBuilder::Accumulator::Add(const std::string& status, int64_t attempt_count,
                                    std::optional<int64_t> latency_ms) {
  ++row.total;
  attempts += attempt_count;
  if (status == "succeeded") {
    ++row.succeeded;
    if (latency_ms) latencies.push_back(*latency_ms);
  } else if (status == "failed") {
    ++row.failed;
  } else if (status == "dead") {
    ++row.dead;
  } else {
    ++row.pending;
  }
}

DeliveryStatsRow StatsBuilder::Accumulator::Finish(std::string key) {
  row.key = std::move(key);
  row.avg_attempts = row.total ? static_cast<double>(attempts) / static_cast<double>(row.total) : 0;
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) { return latencies[static_cast<size_t>(q * static_cast<double>(latencies.size() - 1))]; };
    row.p50_latency_ms = at(0.50);
    row.p95_latency_ms = at(0.95);
  }
  return row;
}

StatsBuilder::StatsBuilder(int64_t bucket_ms, int64_t since_ms, int64_t until_ms)
    : bucket_ms_(std::max<int64_t>(60'000, bucket_ms)) {
  if (until_ms <= since_ms || (until_ms - since_ms) / bucket_ms_ > kMaxFilledBuckets) return;
  for (int64_t start = since_ms / bucket_ms_ * bucket_ms_; start < until_ms; start += bucket_ms_) by_bucket_[start];
}

void StatsBuilder::Add(const std::string& event_type, const std::string& webhook_id, const std::string& status,
                       int64_t attempt_count, std::optional<int64_t> latency_ms, int64_t created_at_ms) {
  overall_.Add(status, attempt_count, latency_ms);
  by_type_[event_type].Add(status, attempt_count, latency_ms);
  by_webhook_[webhook_id].Add(status, attempt_count, latency_ms);
  by_bucket_[created_at_ms / bucket_ms_ * bucket_ms_].Add(status, attempt_count, latency_ms);
}

DeliveryStats StatsBuilder::Finish() {
  DeliveryStats stats;
  stats.overall = overall_.Finish("all");
  for (auto& [type, acc] : by_type_) stats.by_event_type.push_back(acc.Finish(type));
  for (auto& [webhook, acc] : by_webhook_) stats.by_webhook.push_back(acc.Finish(webhook));
  for (auto& [start, acc] : by_bucket_) stats.series.push_back(acc.Finish(FormatRfc3339(start)));
  return stats;
}

}  // namespace hookd
