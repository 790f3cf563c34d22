// The statistics rule (SPEC §3 /stats), the same for every store: deliveries counted by status, the average
// number of attempts, and p50/p95 of the event-to-success latency (nearest rank below), overall, per event type,
// per webhook and per time bucket. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hookd {

// Delivery statistics over a period (SPEC §3 /stats): per event type, per webhook and over time.
struct DeliveryStatsRow {
  std::string key;  // event type, webhook id, or bucket start (RFC 3339) for a time series
  int64_t total = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;  // still retrying
  int64_t dead = 0;
  int64_t pending = 0;
  double avg_attempts = 0;
  std::optional<int64_t> p50_latency_ms;
  std::optional<int64_t> p95_latency_ms;
};

struct DeliveryStats {
  DeliveryStatsRow overall;
  std::vector<DeliveryStatsRow> by_event_type;
  std::vector<DeliveryStatsRow> by_webhook;
  std::vector<DeliveryStatsRow> series;
};

// Adds deliveries one by one and builds the statistics of all of them.
class StatsBuilder {
 public:
  // `bucket_ms`: the width of the time-series buckets (at least a minute). The series covers [since_ms, until_ms)
  // bucket by bucket, empty ones included (so a chart spans the whole period), when that is at most
  // kMaxFilledBuckets buckets; otherwise only the buckets with deliveries.
  StatsBuilder(int64_t bucket_ms, int64_t since_ms, int64_t until_ms);
  static constexpr int64_t kMaxFilledBuckets = 2000;

  void Add(const std::string& event_type, const std::string& webhook_id, const std::string& status,
           int64_t attempt_count, std::optional<int64_t> latency_ms, int64_t created_at_ms);
  [[nodiscard]] DeliveryStats Finish();

 private:
  // One row's counts: status ("succeeded", "failed", "dead", anything else is pending), attempts, latencies.
  struct Accumulator {
    DeliveryStatsRow row;
    int64_t attempts = 0;
    std::vector<int64_t> latencies;

    void Add(const std::string& status, int64_t attempt_count, std::optional<int64_t> latency_ms);
    DeliveryStatsRow Finish(std::string key);
  };

  int64_t bucket_ms_;
  Accumulator overall_;
  std::map<std::string, Accumulator> by_type_, by_webhook_;
  std::map<int64_t, Accumulator> by_bucket_;
};

}  // namespace hookd
