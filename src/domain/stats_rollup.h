// Pre-aggregated delivery statistics (SPEC §3 /stats): every delivery counts, by its current status, in the cell of
// its account, webhook, event type and creation minute, and again in that of its creation hour. A store writes the
// change each delivery makes (accepted, attempted, retried) in the same transaction as the delivery itself, one
// upsert per cell per transaction, so the cells always add up to the delivery log. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "domain/latency_histogram.h"
#include "domain/model.h"

namespace hookd {

inline constexpr int64_t kStatsMinuteMs = 60'000;
inline constexpr int64_t kStatsHourMs = 3'600'000;

// What the deliveries of one cell add up to.
struct StatsCounts {
  int64_t pending = 0;  // not attempted yet, or reopened (and in flight)
  int64_t failed = 0;   // will retry
  int64_t succeeded = 0;
  int64_t dead = 0;
  int64_t attempts = 0;      // their attempt counts, summed
  LatencyHistogram latency;  // event creation -> success, of the succeeded ones

  void Merge(const StatsCounts& other);
  [[nodiscard]] int64_t Total() const { return pending + failed + succeeded + dead; }
  [[nodiscard]] bool Zero() const;
};

// One row of the rollup: the counts of the deliveries created in [start_ms, start_ms + width_ms).
struct StatsCell {
  std::string account_id;
  int64_t width_ms = kStatsMinuteMs;  // kStatsMinuteMs or kStatsHourMs
  int64_t start_ms = 0;
  std::string webhook_id;
  std::string event_type;
  StatsCounts counts;
};

// Where a delivery counts.
struct DeliveryStatsKey {
  std::string_view account_id;
  std::string_view webhook_id;
  std::string_view event_type;
  int64_t created_at_ms = 0;
};

// How a delivery counts.
struct DeliveryStatsState {
  DeliveryStatus status = DeliveryStatus::kPending;
  int64_t attempt_count = 0;
  std::optional<int64_t> latency_ms;  // counted when succeeded
};
[[nodiscard]] DeliveryStatsKey StatsKeyOf(const Delivery& d);
[[nodiscard]] DeliveryStatsState StatsStateOf(const Delivery& d);
// How a reopened delivery counts (domain/delivery_rules.h: Reopen): pending, its attempts kept, no latency.
[[nodiscard]] DeliveryStatsState ReopenedStatsState(const DeliveryStatsState& s);
// How a delivery ended because its webhook was deleted counts (domain/delivery_rules.h: EndForDeletedWebhook).
[[nodiscard]] DeliveryStatsState EndedForDeletedWebhookStatsState(const DeliveryStatsState& s);

// The changes a transaction makes to the rollup, summed per cell.
class StatsDelta {
 public:
  // A delivery was created in `to`, moved from `from` to `to`, or (without `to`) removed.
  void Change(const DeliveryStatsKey& key, const std::optional<DeliveryStatsState>& from,
              const std::optional<DeliveryStatsState>& to);
  void Created(const DeliveryStatsKey& key) { Change(key, std::nullopt, DeliveryStatsState{}); }
  void Merge(const StatsDelta& other);
  [[nodiscard]] bool Empty() const { return minutes_.empty(); }
  [[nodiscard]] size_t Size() const { return minutes_.size(); }
  void Clear() { minutes_.clear(); }

  // The cells to add to, per minute and per hour, in the rollup's key order (so that every writer locks rows in
  // the same order), leaving out those that add nothing.
  [[nodiscard]] std::vector<StatsCell> Cells() const;

 private:
  using Key = std::tuple<std::string, int64_t, std::string, std::string>;  // account, minute, webhook, type
  std::map<Key, StatsCounts> minutes_;
};

}  // namespace hookd
