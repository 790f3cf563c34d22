// The statistics rule (SPEC §3 /stats), the same for every store: deliveries counted by status, the average number
// of attempts, and p50/p95 of the event-to-success latency, overall, per event type, per webhook and per time
// bucket — all read from the rollup's cells (domain/stats_rollup.h), so a query costs O(cells), never
// O(deliveries), and holds one accumulator per row it answers with. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/stats_rollup.h"

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

// Which cells answer a period: [since_ms, until_ms) as the rollup can split it, the series' bucket width, and the
// ranges of cell starts to read at each width. Whole hours are read from hour cells and the ragged ends from
// minute cells; a series finer than an hour reads minute cells throughout.
struct StatsPlan {
  struct Read {
    int64_t width_ms = kStatsMinuteMs;
    int64_t from_ms = 0;  // cell starts in [from_ms, until_ms)
    int64_t until_ms = 0;
  };
  int64_t since_ms = 0;  // the start of since's minute (its hour, when minute cells are kept no longer)
  int64_t until_ms = 0;  // the end of until's minute
  int64_t bucket_ms = 0;
  std::vector<Read> reads;
};

// Periods longer than this get buckets of whole hours.
inline constexpr int64_t kMinuteSeriesMaxPeriodMs = 86'400'000 + kStatsMinuteMs;

// `bucket_ms`: asked for, or none for a 24th of the period. `minutes_kept_since_ms`: the oldest minute cells
// retention keeps. Requires since_ms < until_ms.
[[nodiscard]] StatsPlan PlanStats(int64_t since_ms, int64_t until_ms, std::optional<int64_t> bucket_ms,
                                  int64_t minutes_kept_since_ms);

// Adds the cells of a plan one by one and builds the statistics of all of them.
class StatsBuilder {
 public:
  // The series covers the plan's period bucket by bucket, empty ones included (so a chart spans the whole
  // period), when that is at most kMaxFilledBuckets buckets; otherwise only the buckets with deliveries.
  explicit StatsBuilder(const StatsPlan& plan);
  static constexpr int64_t kMaxFilledBuckets = 2000;

  void Add(const std::string& event_type, const std::string& webhook_id, int64_t start_ms, const StatsCounts& counts);
  // A stored cell: its counts, and its latency histogram as stored (one that does not decode is left out).
  void AddStored(const std::string& event_type, const std::string& webhook_id, int64_t start_ms,
                 const StatsCounts& counts, std::string_view latency);
  [[nodiscard]] DeliveryStats Finish();

 private:
  static DeliveryStatsRow RowOf(std::string key, const StatsCounts& c);

  int64_t bucket_ms_;
  StatsCounts overall_;
  std::map<std::string, StatsCounts> by_type_, by_webhook_;
  std::map<int64_t, StatsCounts> by_bucket_;
};

}  // namespace hookd
