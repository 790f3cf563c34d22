// SQLite: manual retry, bulk retry in pages, and replays (new deliveries of past events).
#include <algorithm>

#include "common/ids.h"
#include "domain/delivery_rules.h"
#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {
namespace {

// Binds whether failed and dead deliveries are asked for, at `first` and the index after it, for statements that
// say "(?first = 1 AND status = 'failed') OR (?next = 1 AND status = 'dead')".
void BindReopenable(Statement& q, int first, const std::vector<DeliveryStatus>& asked) {
  const std::vector<DeliveryStatus> reopenable = ReopenableStatuses(asked);
  auto has = [&](DeliveryStatus s) { return std::ranges::find(reopenable, s) != reopenable.end(); };
  q.Bind(first, has(DeliveryStatus::kFailed)).Bind(first + 1, has(DeliveryStatus::kDead));
}

// Makes a stored delivery due again (domain/delivery_rules.h: Reopen).
Status WriteReopened(Database& db, const std::string& id, int64_t now_ms) {
  return db
      .Prepare(
          "UPDATE deliveries SET status = 'pending', completed_at = NULL, next_attempt_at = ?2, latency_ms = NULL "
          "WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, now_ms)
      .Run();
}

}  // namespace

Result<Delivery> SqliteStore::ReopenDelivery(const std::string& account_id, const std::string& delivery_id,
                                             const Actor& by) {
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    const std::optional<StoredStatsPlace> found = ReadStatsPlace(db, delivery_id);
    if (!found || found->account_id != account_id) return Fail(Error::NotFound("delivery not found"));
    if (auto reopenable = CheckReopenable(found->state.status); !reopenable) return reopenable;
    if (!db.Prepare("SELECT 1 FROM webhooks WHERE id = ?1").Bind(1, found->webhook_id).Step()) {
      return Fail(WebhookDeletedError());
    }
    if (auto st = WriteReopened(db, delivery_id, clock_.NowMs()); !st) return st;
    StatsDelta stats;
    stats.Change(found->Key(), found->state, ReopenedStatsState(found->state));
    if (auto st = AppendAudit(db, DeliveryRetriedRecord(by, account_id, delivery_id, found->state.status)); !st) {
      return st;
    }
    CountStats(stats);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return GetDelivery(account_id, delivery_id);
}

Result<BulkChunk> SqliteStore::ReopenDeliveries(const std::string& webhook_id,
                                                const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                                int64_t until_ms, const std::string& after, int limit,
                                                const AuditRecord* record) {
  BulkChunk chunk;
  Status st = writer_->Run([&](Database& db) -> Status {
    if (auto st = awaiting_.WriteAwaitingAsPending(db); !st) return st;
    if (record) {
      if (auto st = AppendAudit(db, *record); !st) return st;
    }
    chunk = BulkChunk{};
    std::vector<Delivery> found;
    {
      auto q = db.Prepare("SELECT " HOOKD_DELIVERY_COLUMNS
                          " FROM deliveries "
                          "WHERE webhook_id = ?1 AND id > ?2 AND created_at >= ?3 AND created_at < ?4 "
                          "AND ((?5 = 1 AND status = 'failed') OR (?6 = 1 AND status = 'dead')) ORDER BY id LIMIT ?7");
      q.Bind(1, webhook_id).Bind(2, after).Bind(3, since_ms).Bind(4, until_ms).Bind(7, limit);
      BindReopenable(q, 5, statuses);
      found = AllRows(q, DeliveryFromRow<Statement>);
    }
    const int64_t now = clock_.NowMs();
    StatsDelta stats;
    for (Delivery& d : found) {
      if (auto r = WriteReopened(db, d.id, now); !r) return r;
      const DeliveryStatsState before = StatsStateOf(d);
      Reopen(d, now);
      stats.Change(StatsKeyOf(d), before, StatsStateOf(d));
    }
    EndBulkPage(chunk, static_cast<int>(found.size()), found.empty() ? "" : found.back().id, limit);
    chunk.deliveries = std::move(found);
    CountStats(stats);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return chunk;
}

Result<int64_t> SqliteStore::CountDeliveries(const std::string& webhook_id, const std::vector<DeliveryStatus>& statuses,
                                             int64_t since_ms, int64_t until_ms) {
  if (auto st = WriteAwaitingDeliveries(); !st) return Fail(st.error());
  return WithReader([&](Database& db) -> Result<int64_t> {
    auto q = db.Prepare(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = ?1 AND created_at >= ?2 AND created_at < ?3 "
        "AND ((?4 = 1 AND status = 'failed') OR (?5 = 1 AND status = 'dead'))");
    q.Bind(1, webhook_id).Bind(2, since_ms).Bind(3, until_ms);
    BindReopenable(q, 4, statuses);
    return q.Step() ? q.Int(0) : 0;
  });
}

Result<Delivery> SqliteStore::InsertDelivery(Database& db, const Event& event, const std::string& webhook_id,
                                             int64_t now_ms, StatsDelta& stats) {
  Delivery d = NewDelivery(event, webhook_id, now_ms);
  auto r = db.Prepare(kInsertDeliverySql)
               .BindView(1, d.id)
               .BindView(2, d.account_id)
               .BindView(3, d.event_id)
               .BindView(4, d.webhook_id)
               .BindView(5, d.event_type)
               .Bind(6, d.next_attempt_at_ms)
               .Bind(7, d.created_at_ms)
               .Run();
  if (!r) return Fail(r.error());
  stats.Created(StatsKeyOf(d));
  return d;
}

Result<std::vector<Delivery>> SqliteStore::CreateDeliveries(const Event& event,
                                                            const std::vector<std::string>& webhook_ids,
                                                            const AuditRecord* record) {
  std::vector<Delivery> created;
  Status st = writer_->Run([&](Database& db) -> Status {
    created.clear();
    if (record) {
      if (auto st = AppendAudit(db, *record); !st) return st;
    }
    const int64_t now = clock_.NowMs();
    StatsDelta stats;
    for (const std::string& webhook_id : webhook_ids) {
      auto d = InsertDelivery(db, event, webhook_id, now, stats);
      if (!d) return Fail(d.error());
      created.push_back(std::move(*d));
    }
    CountStats(stats);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return created;
}

Result<BulkChunk> SqliteStore::ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms,
                                            const std::string& after, int limit, const AuditRecord* record) {
  BulkChunk chunk;
  Status st = writer_->Run([&](Database& db) -> Status {
    chunk = BulkChunk{};
    if (record) {
      if (auto st = AppendAudit(db, *record); !st) return st;
    }
    std::vector<Event> events;
    {
      auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS
                          " FROM events "
                          "WHERE account_id = ?1 AND id > ?2 AND created_at >= ?3 AND created_at < ?4 "
                          "ORDER BY id LIMIT ?5");
      q.Bind(1, webhook.account_id).Bind(2, after).Bind(3, since_ms).Bind(4, until_ms).Bind(5, limit);
      events = AllRows(q, EventFromRow<Statement>);
    }
    const int64_t now = clock_.NowMs();
    StatsDelta stats;
    for (const Event& e : events) {
      if (!ReplayReaches(webhook, e)) continue;
      auto d = InsertDelivery(db, e, webhook.id, now, stats);
      if (!d) return Fail(d.error());
      chunk.deliveries.push_back(std::move(*d));
    }
    EndBulkPage(chunk, static_cast<int>(events.size()), events.empty() ? "" : events.back().id, limit);
    CountStats(stats);
    return Ok();
  });
  if (!st) return Fail(st.error());
  return chunk;
}

}  // namespace hookd::sqlite
