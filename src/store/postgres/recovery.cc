// PostgreSQL: manual retry, bulk retry in pages, and replays (new deliveries of past events), each announced to
// the workers that hold their webhooks' shards.
#include <algorithm>

#include "domain/delivery_rules.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/postgres/stats.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {

Result<Delivery> PostgresStore::ReopenDelivery(const std::string& account_id, const std::string& delivery_id,
                                               const Actor& by) {
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto r =
          c.Exec("SELECT " HOOKD_DELIVERY_STATS_COLUMNS " FROM deliveries WHERE id = $1 AND account_id = $2 FOR UPDATE",
                 Params().Add(delivery_id).Add(account_id));
      if (!r) return Fail(r.error());
      if (r->Count() == 0) return Fail(Error::NotFound("delivery not found"));
      const StoredStatsPlace found = StoredStatsPlaceFromRow(Row(*r, 0));
      if (auto reopenable = CheckReopenable(found.state.status); !reopenable) return reopenable;
      auto webhook = c.Exec("SELECT 1 FROM webhooks WHERE id = $1", Params().Add(found.webhook_id));
      if (!webhook) return Fail(webhook.error());
      if (webhook->Count() == 0) return Fail(WebhookDeletedError());
      // Reopened (domain/delivery_rules.h: Reopen).
      auto u = c.Exec(
          "UPDATE deliveries SET status = 'pending', completed_at = NULL, next_attempt_at = $2, latency_ms = NULL "
          "WHERE id = $1",
          Params().Add(delivery_id).Add(clock_.NowMs()));
      if (!u) return Fail(u.error());
      StatsDelta stats;
      stats.Change(found.Key(), found.state, ReopenedStatsState(found.state));
      if (auto st = AppendAudit(c, DeliveryRetriedRecord(by, account_id, delivery_id, found.state.status)); !st) {
        return st;
      }
      if (auto st = WriteStats(c, stats, StatsWriter::kApi); !st) return st;
      return NotifyDue(c, backend_->process_id(), {{delivery_id, found.webhook_id}});
    });
  });
  if (!st) return Fail(st.error());
  return GetDelivery(account_id, delivery_id);
}

Result<BulkChunk> PostgresStore::ReopenDeliveries(const std::string& webhook_id,
                                                  const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                                  int64_t until_ms, const std::string& after, int limit,
                                                  const AuditRecord* record) {
  // One statement: the page's rows are locked, reopened (domain/delivery_rules.h: Reopen) and returned.
  const std::string reopenable = StatusArray(ReopenableStatuses(statuses));
  BulkChunk chunk;
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      if (record) {
        if (auto st = AppendAudit(c, *record); !st) return st;
      }
      // The rows as they were come back after the columns of the reopened ones, for the statistics.
      auto r = c.Exec(
          "WITH page AS (SELECT id AS page_id, status AS was FROM deliveries WHERE webhook_id = $1 AND id > $2 "
          "AND created_at >= $3 AND created_at < $4 AND status = ANY($5::text[]) ORDER BY id LIMIT $6 FOR UPDATE) "
          "UPDATE deliveries d SET status = 'pending', completed_at = NULL, next_attempt_at = $7, latency_ms = NULL "
          "FROM page WHERE d.id = page.page_id RETURNING " HOOKD_DELIVERY_COLUMNS ", page.was",
          Params()
              .Add(webhook_id)
              .Add(after)
              .Add(since_ms)
              .Add(until_ms)
              .Add(reopenable)
              .Add(limit)
              .Add(clock_.NowMs()));
      if (!r) return Fail(r.error());
      chunk.deliveries = AllRows(*r, DeliveryFromRow<Row>);
      StatsDelta stats;
      std::vector<const Delivery*> reopened;
      for (int i = 0; i < r->Count(); ++i) {
        const Delivery& d = chunk.deliveries[static_cast<size_t>(i)];
        const DeliveryStatsState after = StatsStateOf(d);
        const DeliveryStatsState before{ParseDeliveryStatus(r->Text(i, kDeliveryColumnCount)).value_or(d.status),
                                        after.attempt_count, std::nullopt};
        stats.Change(StatsKeyOf(d), before, after);
        reopened.push_back(&d);
      }
      if (auto st = WriteStats(c, stats, StatsWriter::kApi); !st) return st;
      return AnnounceDue(c, backend_->process_id(), reopened);
    });
  });
  if (!st) return Fail(st.error());
  std::ranges::sort(chunk.deliveries, {}, &Delivery::id);
  EndBulkPage(chunk, static_cast<int>(chunk.deliveries.size()),
              chunk.deliveries.empty() ? "" : chunk.deliveries.back().id, limit);
  return chunk;
}

Result<int64_t> PostgresStore::CountDeliveries(const std::string& webhook_id,
                                               const std::vector<DeliveryStatus>& statuses, int64_t since_ms,
                                               int64_t until_ms) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1 AND created_at >= $2 AND created_at < $3 "
        "AND status = ANY($4::text[])",
        Params().Add(webhook_id).Add(since_ms).Add(until_ms).Add(StatusArray(ReopenableStatuses(statuses))));
  });
  if (!r) return Fail(r.error());
  return r->Int(0, 0);
}

Result<std::vector<Delivery>> PostgresStore::CreateDeliveries(const Event& event,
                                                              const std::vector<std::string>& webhook_ids,
                                                              const AuditRecord* record) {
  const int64_t now = clock_.NowMs();
  std::vector<Delivery> created;
  for (const std::string& webhook_id : webhook_ids) created.push_back(NewDelivery(event, webhook_id, now));
  std::vector<const Delivery*> rows;
  for (const Delivery& d : created) rows.push_back(&d);
  if (auto st = pool_.With([&](Connection& c) {
        return c.Transaction([&](Connection& c) -> Status {
          // The event is held until the commit, so retention cannot take it from under its new deliveries.
          auto held = c.Exec("SELECT 1 FROM events WHERE id = $1 FOR KEY SHARE", Params().Add(event.id));
          if (!held) return Fail(held.error());
          if (held->Count() == 0) return Fail(Error::NotFound("event not found"));
          if (record) {
            if (auto st = AppendAudit(c, *record); !st) return st;
          }
          return InsertDeliveries(c, backend_->process_id(), rows, now);
        });
      });
      !st) {
    return Fail(st.error());
  }
  return created;
}

Result<BulkChunk> PostgresStore::ReplayEvents(const Webhook& webhook, int64_t since_ms, int64_t until_ms,
                                              const std::string& after, int limit, const AuditRecord* record) {
  BulkChunk chunk;
  Status st = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      chunk = BulkChunk{};
      if (record) {
        if (auto st = AppendAudit(c, *record); !st) return st;
      }
      auto r = c.Exec("SELECT " HOOKD_EVENT_COLUMNS
                      " FROM events "
                      "WHERE account_id = $1 AND id > $2 AND created_at >= $3 AND created_at < $4 "
                      "ORDER BY id LIMIT $5",
                      Params().Add(webhook.account_id).Add(after).Add(since_ms).Add(until_ms).Add(limit));
      if (!r) return Fail(r.error());
      const std::vector<Event> events = AllRows(*r, EventFromRow<Row>);
      const int64_t now = clock_.NowMs();
      for (const Event& e : events) {
        if (!ReplayReaches(webhook, e)) continue;
        chunk.deliveries.push_back(NewDelivery(e, webhook.id, now));
      }
      std::vector<const Delivery*> rows;
      for (const Delivery& d : chunk.deliveries) rows.push_back(&d);
      EndBulkPage(chunk, static_cast<int>(events.size()), events.empty() ? "" : events.back().id, limit);
      return InsertDeliveries(c, backend_->process_id(), rows, now);
    });
  });
  if (!st) return Fail(st.error());
  return chunk;
}

}  // namespace hookd::postgres
