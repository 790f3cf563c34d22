// PostgreSQL: the statistics rollup — upserted in one statement per transaction, read cell range by cell range for
// a query, purged by width, and back-filled by the migration that creates it.
#include "store/postgres/stats.h"

#include "store/postgres/postgres_store.h"
#include "store/row_mapping.h"

namespace hookd::postgres {
namespace {

constexpr int kBackfillPage = 20'000;
constexpr size_t kBackfillFlushCells = 50'000;

}  // namespace

Status WriteStats(Connection& conn, const StatsDelta& delta, StatsWriter writer) {
  if (delta.Empty()) return Ok();
  ArrayParam accounts, widths, starts, webhooks, types, pending, failed, succeeded, dead, attempts, latency;
  for (const StatsCell& c : delta.Cells()) {
    accounts.Add(c.account_id);
    widths.Add(c.width_ms);
    starts.Add(c.start_ms);
    webhooks.Add(c.webhook_id);
    types.Add(c.event_type);
    pending.Add(c.counts.pending);
    failed.Add(c.counts.failed);
    succeeded.Add(c.counts.succeeded);
    dead.Add(c.counts.dead);
    attempts.Add(c.counts.attempts);
    latency.Add(c.counts.latency.Encode());
  }
  auto r = conn.Exec(
      "INSERT INTO delivery_stats(account_id, width_ms, start_ms, webhook_id, event_type, writer, pending, failed, "
      "succeeded, dead, attempts, latency) "
      "SELECT u.account_id, u.width, u.start, u.webhook_id, u.event_type, $12, u.pending, u.failed, u.succeeded, "
      "u.dead, u.attempts, u.latency::bigint[] "
      "FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], "
      "$8::bigint[], $9::bigint[], $10::bigint[], $11::text[]) WITH ORDINALITY "
      "AS u(account_id, width, start, webhook_id, event_type, pending, failed, succeeded, dead, attempts, latency, n) "
      "ORDER BY u.n "
      "ON CONFLICT (account_id, width_ms, start_ms, webhook_id, event_type, writer) DO UPDATE SET "
      "pending = delivery_stats.pending + excluded.pending, failed = delivery_stats.failed + excluded.failed, "
      "succeeded = delivery_stats.succeeded + excluded.succeeded, dead = delivery_stats.dead + excluded.dead, "
      "attempts = delivery_stats.attempts + excluded.attempts, "
      "latency = hookd_histogram_add(delivery_stats.latency, excluded.latency)",
      Params()
          .Add(accounts.Take())
          .Add(widths.Take())
          .Add(starts.Take())
          .Add(webhooks.Take())
          .Add(types.Take())
          .Add(pending.Take())
          .Add(failed.Take())
          .Add(succeeded.Take())
          .Add(dead.Take())
          .Add(attempts.Take())
          .Add(latency.Take())
          .Add(static_cast<int64_t>(writer)));
  if (!r) return Fail(r.error());
  return Ok();
}

Status BackfillStats(Connection& conn) {
  StatsDelta delta;
  std::string after;
  for (;;) {
    auto r = conn.Exec("SELECT id, " HOOKD_DELIVERY_STATS_COLUMNS " FROM deliveries WHERE id > $1 ORDER BY id LIMIT $2",
                       Params().Add(after).Add(static_cast<int64_t>(kBackfillPage)));
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->Count(); ++i) {
      const StoredStatsPlace p = StoredStatsPlaceFromRow(Row(*r, i), 1);
      delta.Change(p.Key(), std::nullopt, p.state);
    }
    if (r->Count() > 0) after = r->Text(r->Count() - 1, 0);
    const bool done = r->Count() < kBackfillPage;
    if (done || delta.Size() >= kBackfillFlushCells) {
      if (auto st = WriteStats(conn, delta, StatsWriter::kApi); !st) return st;
      delta.Clear();
    }
    if (done) return Ok();
  }
}

Result<DeliveryStats> PostgresStore::Stats(const StatsQuery& query) {
  StatsBuilder stats(query.plan);
  for (const StatsPlan::Read& read : query.plan.reads) {
    // Two statements so each can use its own index: one webhook's cells, or the whole account's.
    const char* sql = query.webhook_id.empty()
                          ? "SELECT " HOOKD_STATS_CELL_COLUMNS
                            " FROM delivery_stats WHERE account_id = $1 AND width_ms = $2 AND start_ms >= $3 "
                            "AND start_ms < $4 AND $5 = ''"
                          : "SELECT " HOOKD_STATS_CELL_COLUMNS
                            " FROM delivery_stats WHERE webhook_id = $5 AND width_ms = $2 AND start_ms >= $3 "
                            "AND start_ms < $4 AND account_id = $1";
    auto r = pool_.With([&](Connection& c) {
      return c.Exec(
          sql,
          Params().Add(query.account_id).Add(read.width_ms).Add(read.from_ms).Add(read.until_ms).Add(query.webhook_id));
    });
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->Count(); ++i) AddStatsCell(stats, Row(*r, i));
  }
  return stats.Finish();
}

Result<int64_t> PostgresStore::PurgeStatsOlderThan(int64_t minutes_before_ms, int64_t hours_before_ms, int limit) {
  return pool_.With([&](Connection& c) -> Result<int64_t> {
    auto r = c.Exec(
        "DELETE FROM delivery_stats WHERE ctid IN (SELECT ctid FROM delivery_stats WHERE width_ms = $1 "
        "AND start_ms < $2 LIMIT $5 FOR UPDATE SKIP LOCKED) OR ctid IN (SELECT ctid FROM delivery_stats "
        "WHERE width_ms = $3 AND start_ms < $4 LIMIT $5 FOR UPDATE SKIP LOCKED)",
        Params()
            .Add(kStatsMinuteMs)
            .Add(minutes_before_ms)
            .Add(kStatsHourMs)
            .Add(hours_before_ms)
            .Add(static_cast<int64_t>(limit)));
    if (!r) return Fail(r.error());
    return r->Affected();
  });
}

}  // namespace hookd::postgres
