// What both store backends do alike between domain values and stored rows: a new pending delivery, the values a
// delivery's row takes after an attempt, pages cut from limit + 1 rows, where a page of a bulk operation ends, and
// the count of webhooks by status. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "domain/stats_rollup.h"
#include "store/store.h"

namespace hookd {

// A new pending delivery of `event` to `webhook_id`, due now (not yet stored).
[[nodiscard]] Delivery NewDelivery(const Event& event, const std::string& webhook_id, int64_t now_ms);

// The values a delivery's row takes after one of its attempts (its AttemptRecord); the views point into the record.
struct OutcomeValues {
  std::string_view delivery_id;
  DeliveryStatus status = DeliveryStatus::kFailed;
  int attempt_count = 0;
  std::optional<int64_t> next_attempt_at_ms;
  std::optional<int64_t> completed_at_ms;
  std::optional<int64_t> latency_ms;
  std::optional<int> response_status;
  int64_t response_time_ms = 0;
  std::string_view error;  // empty = none
};
[[nodiscard]] OutcomeValues OutcomeOf(const AttemptRecord& record);

// A stored delivery's place in the statistics rollup and how it counts there (HOOKD_DELIVERY_STATS_COLUMNS).
struct StoredStatsPlace {
  std::string account_id, webhook_id, event_type;
  int64_t created_at_ms = 0;
  DeliveryStatsState state;
  [[nodiscard]] DeliveryStatsKey Key() const { return {account_id, webhook_id, event_type, created_at_ms}; }
};

// How a delivery counts once an outcome is recorded.
[[nodiscard]] DeliveryStatsState StatsStateOf(const OutcomeValues& o);

// Pages come from queries that fetch limit + 1 rows: the extra row only says there is more.
template <class T>
Page<T> MakePage(std::vector<T> rows, int limit) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<size_t>(limit));
    page.next_cursor = rows.back().id;
  }
  page.data = std::move(rows);
  return page;
}

// Ends a page of a bulk operation that looked at `scanned` rows of at most `limit`, the last being `last_id`: a full
// page means there may be more after it.
void EndBulkPage(BulkChunk& chunk, int scanned, const std::string& last_id, int limit);

// Adds `n` webhooks whose stored status reads `status` to counts by WebhookStatus (unknown ones are left out).
void CountWebhooks(std::array<int64_t, 3>& counts, std::string_view status, int64_t n);

}  // namespace hookd
