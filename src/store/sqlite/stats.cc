// SQLite: the statistics rollup — written by the writer thread in the transaction of the changes it counts, read
// cell range by cell range for a query, purged by width, and back-filled when it is created.
#include "store/sqlite/stats.h"

#include "store/row_mapping.h"
#include "store/sqlite/awaiting_deliveries.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kUpsertCellSql =
    "INSERT INTO delivery_stats(account_id, width_ms, start_ms, webhook_id, event_type, pending, failed, succeeded, "
    "dead, attempts, latency) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) "
    "ON CONFLICT(account_id, width_ms, start_ms, webhook_id, event_type) DO UPDATE SET "
    "pending = pending + excluded.pending, failed = failed + excluded.failed, "
    "succeeded = succeeded + excluded.succeeded, dead = dead + excluded.dead, "
    "attempts = attempts + excluded.attempts, latency = hookd_histogram_add(latency, excluded.latency)";

// Backfill reads the stored deliveries in pages and writes the rollup whenever this many cells have gathered.
constexpr int kBackfillPage = 20'000;
constexpr size_t kBackfillFlushCells = 50'000;

}  // namespace

Status WriteStats(Database& db, const StatsDelta& delta) {
  for (const StatsCell& c : delta.Cells()) {
    auto q = db.Prepare(kUpsertCellSql);
    q.BindView(1, c.account_id).Bind(2, c.width_ms).Bind(3, c.start_ms).BindView(4, c.webhook_id);
    q.BindView(5, c.event_type).Bind(6, c.counts.pending).Bind(7, c.counts.failed).Bind(8, c.counts.succeeded);
    q.Bind(9, c.counts.dead).Bind(10, c.counts.attempts).Bind(11, c.counts.latency.Encode());
    if (auto st = q.Run(); !st) return st;
  }
  return Ok();
}

Status GroupStats::Write(Database& db) {
  Status st = WriteStats(db, delta_);
  Clear();
  return st;
}

std::optional<StoredStatsPlace> ReadStatsPlace(Database& db, std::string_view id) {
  auto q = db.Prepare("SELECT " HOOKD_DELIVERY_STATS_COLUMNS " FROM deliveries WHERE id = ?1");
  q.BindView(1, id);
  if (!q.Step()) return std::nullopt;
  return StoredStatsPlaceFromRow(q);
}

Status BackfillStats(Database& db) {
  StatsDelta delta;
  auto flush = [&](bool always) -> Status {
    if (!always && delta.Size() < kBackfillFlushCells) return Ok();
    Status st = WriteStats(db, delta);
    delta.Clear();
    return st;
  };
  std::string after;
  for (;;) {
    auto q =
        db.Prepare("SELECT id, " HOOKD_DELIVERY_STATS_COLUMNS " FROM deliveries WHERE id > ?1 ORDER BY id LIMIT ?2");
    q.Bind(1, after).Bind(2, kBackfillPage);
    int rows = 0;
    while (q.Step()) {
      ++rows;
      after = q.Text(0);
      const StoredStatsPlace p = StoredStatsPlaceFromRow(q, 1);
      delta.Change(p.Key(), std::nullopt, p.state);
    }
    if (auto st = flush(false); !st) return st;
    if (rows < kBackfillPage) break;
  }
  // Deliveries accepted but not yet given a row count as pending, as they did when accepted.
  auto awaiting = db.Prepare(
      "SELECT a.deliveries, e.account_id, e.type, a.accepted_at FROM events_awaiting_deliveries a "
      "JOIN events e ON e.id = a.event_id");
  while (awaiting.Step()) {
    const std::string list = awaiting.Text(0), account = awaiting.Text(1), type = awaiting.Text(2);
    const int64_t accepted_at = awaiting.Int(3);
    ForEachAwaitingPair(list, [&](std::string_view delivery_id, std::string_view webhook_id) {
      auto has_row = db.Prepare("SELECT 1 FROM deliveries WHERE id = ?1");
      has_row.BindView(1, delivery_id);
      if (!has_row.Step()) delta.Created({account, webhook_id, type, accepted_at});
    });
  }
  return flush(true);
}

Result<DeliveryStats> SqliteStore::Stats(const StatsQuery& query) {
  return WithReader([&](Database& db) -> Result<DeliveryStats> {
    StatsBuilder stats(query.plan);
    for (const StatsPlan::Read& read : query.plan.reads) {
      // Two statements so each can use its own index: one webhook's cells, or the whole account's.
      auto q = query.webhook_id.empty()
                   ? db.Prepare("SELECT " HOOKD_STATS_CELL_COLUMNS
                                " FROM delivery_stats WHERE account_id = ?1 AND width_ms = ?2 AND start_ms >= ?3 "
                                "AND start_ms < ?4")
                   : db.Prepare("SELECT " HOOKD_STATS_CELL_COLUMNS
                                " FROM delivery_stats WHERE webhook_id = ?5 AND width_ms = ?2 AND start_ms >= ?3 "
                                "AND start_ms < ?4 AND account_id = ?1");
      q.Bind(1, query.account_id).Bind(2, read.width_ms).Bind(3, read.from_ms).Bind(4, read.until_ms);
      q.Bind(5, query.webhook_id);
      while (q.Step()) AddStatsCell(stats, q);
      if (q.Failed()) return Fail(Error::Internal("reading statistics failed: " + db.LastError()));
    }
    return stats.Finish();
  });
}

Result<int64_t> SqliteStore::PurgeStatsOlderThan(int64_t minutes_before_ms, int64_t hours_before_ms, int limit) {
  int64_t purged = 0;
  Status st = writer_->Run([&](Database& db) -> Status {
    purged = 0;
    for (auto [width, before] : {std::pair{kStatsMinuteMs, minutes_before_ms}, {kStatsHourMs, hours_before_ms}}) {
      auto r = db.Prepare(
                     "DELETE FROM delivery_stats WHERE (account_id, width_ms, start_ms, webhook_id, event_type) IN "
                     "(SELECT account_id, width_ms, start_ms, webhook_id, event_type FROM delivery_stats "
                     "WHERE width_ms = ?1 AND start_ms < ?2 LIMIT ?3)")
                   .Bind(1, width)
                   .Bind(2, before)
                   .Bind(3, limit)
                   .Run();
      if (!r) return r;
      purged += db.Changes();
    }
    return Ok();
  });
  if (!st) return Fail(st.error());
  return purged;
}

}  // namespace hookd::sqlite
