// SQLite: retention, the count of webhooks by status, and custom event types.
#include "common/ids.h"
#include "domain/delivery_rules.h"
#include "store/row_values.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {

Result<int64_t> SqliteStore::PurgeOlderThan(int64_t cutoff_ms, int limit) {
  // Ids sort by creation time, so "older than the cutoff" is a range scan of the primary key.
  const std::string delivery_cutoff = LowestIdAt("dlv_", cutoff_ms);
  const std::string event_cutoff = LowestIdAt("evt_", cutoff_ms);
  int64_t purged = 0;
  Status st = writer_->Run([&](Database& db) -> Status {
    // Deliveries still awaiting their rows are young and unfinished: an event listed in the awaiting table is
    // kept like one with a delivery row, so the purge never has to write them out (write-once stays on).
    // Each statement deletes up to `limit` rows whose ids are below `cutoff` (a literal: statements are cached by
    // address) and says how many went.
    auto purge = [&](const char* sql, const std::string& cutoff) -> Result<int64_t> {
      if (auto r = db.Prepare(sql).Bind(1, cutoff).Bind(2, limit).Run(); !r) return Fail(r.error());
      return db.Changes();
    };
    // The attempts first, with the deliveries they belong to (counted with them).
    auto attempts = purge(
        "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE id < ?1 "
        "AND completed_at IS NOT NULL ORDER BY id LIMIT ?2)",
        delivery_cutoff);
    if (!attempts) return Fail(attempts.error());
    auto deliveries = purge(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 "
        "AND completed_at IS NOT NULL ORDER BY id LIMIT ?2)",
        delivery_cutoff);
    if (!deliveries) return Fail(deliveries.error());
    auto events = purge(
        "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.id < ?1 AND NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.event_id = e.id) AND NOT EXISTS "
        "(SELECT 1 FROM events_awaiting_deliveries a WHERE a.event_id = e.id) ORDER BY e.id LIMIT ?2)",
        event_cutoff);
    if (!events) return Fail(events.error());
    // A deleted webhook is remembered as long as the log it leaves.
    auto tomb = db.Prepare(
        "DELETE FROM deleted_webhooks WHERE id IN (SELECT id FROM deleted_webhooks WHERE deleted_at < ?1 LIMIT ?2)");
    if (auto st = tomb.Bind(1, cutoff_ms).Bind(2, limit).Run(); !st) return st;
    purged = *deliveries + *events + db.Changes();
    return Ok();
  });
  if (!st) return Fail(st.error());
  return purged;
}

Result<std::array<int64_t, 3>> SqliteStore::CountWebhooksByStatus() {
  return WithReader([&](Database& db) -> Result<std::array<int64_t, 3>> {
    auto q = db.Prepare("SELECT status, COUNT(*) FROM webhooks GROUP BY status");
    std::array<int64_t, 3> counts{};
    while (q.Step()) CountWebhooks(counts, q.Text(0), q.Int(1));
    return counts;
  });
}

Result<std::vector<EventType>> SqliteStore::ListCustomEventTypes() {
  return WithReader([&](Database& db) -> Result<std::vector<EventType>> {
    auto q = db.Prepare("SELECT type, category, description FROM event_types ORDER BY type");
    std::vector<EventType> out;
    while (q.Step()) out.push_back({q.Text(0), q.Text(1), q.Text(2), true});
    return out;
  });
}

Status SqliteStore::CreateCustomEventType(const EventType& type, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    auto exists = db.Prepare("SELECT 1 FROM event_types WHERE type = ?");
    exists.Bind(1, type.type);
    if (exists.Step()) return Fail(EventTypeExists());
    if (auto r = db.Prepare("INSERT INTO event_types(type, category, description, created_at) VALUES (?,?,?,?)")
                     .Bind(1, type.type)
                     .Bind(2, type.category)
                     .Bind(3, type.description)
                     .Bind(4, clock_.NowMs())
                     .Run();
        !r) {
      return r;
    }
    return AppendAudit(
        db, CreatedRecord(by, "", "event_type.created", "event_type", type.type, AuditedEventTypeFields(type)));
  });
}

Status SqliteStore::DeleteCustomEventType(const std::string& type, const Actor& by) {
  return writer_->Run([&](Database& db) -> Status {
    if (auto r = db.Prepare("DELETE FROM event_types WHERE type = ?").Bind(1, type).Run(); !r) return r;
    if (db.Changes() == 0) return Fail(Error::NotFound("custom event type not found"));
    return AppendAudit(db, DeletedRecord(by, "", "event_type.deleted", "event_type", type, {}));
  });
}

}  // namespace hookd::sqlite
