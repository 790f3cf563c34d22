// PostgreSQL: retention, the count of webhooks by status, and custom event types.
#include <algorithm>

#include "common/ids.h"
#include "domain/delivery_rules.h"
#include "store/postgres/notices.h"
#include "store/postgres/partitions.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/row_values.h"

namespace hookd::postgres {

Result<int64_t> PostgresStore::PurgeOlderThan(int64_t cutoff_ms, int limit) {
  const int64_t now = clock_.NowMs();
  int64_t total = 0;
  if (now - partitions_checked_ms_.load() >= 1000) {
    // Partitions reach ahead of the clock, and whole spans past the cutoff go (store/postgres/partitions.h), under
    // a session lock: on a connection that keeps its session.
    auto dropped = backend_->session_pool().With([&](Connection& c) -> Result<PartitionPurge> {
      if (auto reached = EnsurePartitions(c, now, PartitionWidthFor(now - cutoff_ms)); !reached) {
        return Fail(reached.error());
      }
      return DropExpiredPartitions(c, cutoff_ms, now - cutoff_ms);
    });
    if (!dropped) return Fail(dropped.error());
    total += dropped->rows;
    events_purge_before_ms_ = dropped->events_before_ms;
    deliveries_purge_before_ms_ = dropped->deliveries_before_ms;
    partitions_checked_ms_ = now;
  }
  return pool_.With([&](Connection& c) -> Result<int64_t> {
    // What is left past the cutoff, row by row: spans kept for an unfinished delivery, and the history span. Each
    // statement picks its batch once (a CTE is one snapshot), so a delivery's attempts always go with it; rows
    // another transaction holds are skipped, never waited for.
    auto deliveries = c.Exec(
        "WITH doomed AS (SELECT id FROM deliveries WHERE id < $1 AND completed_at IS NOT NULL ORDER BY id LIMIT $2 "
        "FOR UPDATE SKIP LOCKED), gone_attempts AS (DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM doomed)) "
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed)",
        Params().Add(LowestIdAt("dlv_", std::min(cutoff_ms, deliveries_purge_before_ms_.load()))).Add(limit));
    if (!deliveries) return Fail(deliveries.error());
    auto events = c.Exec(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.id < $1 AND NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.id LIMIT $2 FOR UPDATE SKIP LOCKED)",
        Params().Add(LowestIdAt("evt_", std::min(cutoff_ms, events_purge_before_ms_.load()))).Add(limit));
    if (!events) return Fail(events.error());
    // Idempotency keys are held a day whatever the retention (an event gone sooner frees its key: intake.cc).
    auto keys = c.Exec(
        "DELETE FROM idempotency_keys WHERE (account_id, idempotency_key) IN (SELECT account_id, idempotency_key "
        "FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        Params().Add(IdempotencyKeysHeldSince(now)).Add(limit));
    if (!keys) return Fail(keys.error());
    // A deleted webhook is remembered as long as the log it leaves.
    auto tombs = c.Exec(
        "DELETE FROM deleted_webhooks WHERE id IN (SELECT id FROM deleted_webhooks WHERE deleted_at < $1 LIMIT $2 "
        "FOR UPDATE SKIP LOCKED)",
        Params().Add(cutoff_ms).Add(limit));
    if (!tombs) return Fail(tombs.error());
    return total + deliveries->Affected() + events->Affected() + keys->Affected() + tombs->Affected();
  });
}

Result<std::array<int64_t, 3>> PostgresStore::CountWebhooksByStatus() {
  auto r = pool_.With([&](Connection& c) { return c.Exec("SELECT status, COUNT(*) FROM webhooks GROUP BY status"); });
  if (!r) return Fail(r.error());
  std::array<int64_t, 3> counts{};
  for (int i = 0; i < r->Count(); ++i) CountWebhooks(counts, r->Text(i, 0), r->Int(i, 1));
  return counts;
}

Result<std::vector<EventType>> PostgresStore::ListCustomEventTypes() {
  auto r = pool_.With(
      [&](Connection& c) { return c.Exec("SELECT type, category, description FROM event_types ORDER BY type"); });
  if (!r) return Fail(r.error());
  std::vector<EventType> out;
  for (int i = 0; i < r->Count(); ++i) out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), true});
  return out;
}

Status PostgresStore::CreateCustomEventType(const EventType& type, const Actor& by) {
  return WriteAndAnnounce(pool_, {ChangeKind::kEventTypes, ""}, [&](Connection& c) -> Status {
    auto r = c.Exec(
        "INSERT INTO event_types(type, category, description, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (type) DO NOTHING",
        Params().Add(type.type).Add(type.category).Add(type.description).Add(clock_.NowMs()));
    if (!r) return Fail(r.error());
    if (r->Affected() == 0) return Fail(EventTypeExists());
    return AppendAudit(
        c, CreatedRecord(by, "", "event_type.created", "event_type", type.type, AuditedEventTypeFields(type)));
  });
}

Status PostgresStore::DeleteCustomEventType(const std::string& type, const Actor& by) {
  return WriteAndAnnounce(pool_, {ChangeKind::kEventTypes, ""}, [&](Connection& c) -> Status {
    if (auto st = NotFoundUnlessChanged(c.Exec("DELETE FROM event_types WHERE type = $1", Params().Add(type)),
                                        "custom event type");
        !st) {
      return st;
    }
    return AppendAudit(c, DeletedRecord(by, "", "event_type.deleted", "event_type", type, {}));
  });
}

}  // namespace hookd::postgres
