// The values both stores compute alike.
#include "store/row_values.h"

#include "common/ids.h"
#include "domain/delivery_rules.h"

namespace hookd {

Delivery NewDelivery(const Event& event, const std::string& webhook_id, int64_t now_ms) {
  Delivery d;
  d.id = NewId("dlv_");
  d.account_id = event.account_id;
  d.event_id = event.id;
  d.event_type = event.type;
  d.webhook_id = webhook_id;
  d.status = DeliveryStatus::kPending;
  d.next_attempt_at_ms = now_ms;
  d.created_at_ms = now_ms;
  return d;
}

DeliveryStatsState StatsStateOf(const OutcomeValues& o) {
  return {o.status, o.attempt_count, o.latency_ms};
}

OutcomeValues OutcomeOf(const AttemptRecord& r) {
  const Attempt& a = r.attempt;
  return OutcomeValues{
      .delivery_id = a.delivery_id,
      .status = r.new_status,
      .attempt_count = a.number,
      .next_attempt_at_ms = r.next_attempt_at_ms,
      .completed_at_ms = CompletedAt(r.new_status, a),
      .latency_ms = r.latency_ms,
      .response_status = a.response_status,
      .response_time_ms = a.response_time_ms,
      .error = a.error,
  };
}

void EndBulkPage(BulkChunk& chunk, int scanned, const std::string& last_id, int limit) {
  chunk.scanned = scanned;
  chunk.next_after = scanned == limit ? last_id : std::string();
}

void CountWebhooks(std::array<int64_t, 3>& counts, std::string_view status, int64_t n) {
  if (auto s = ParseWebhookStatus(status)) counts[static_cast<size_t>(*s)] += n;
}

}  // namespace hookd
