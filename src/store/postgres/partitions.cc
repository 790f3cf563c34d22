// PostgreSQL: making time partitions ahead of the clock and dropping them past retention (partitions.h).
#include "store/postgres/partitions.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <functional>

#include "common/ids.h"

namespace hookd::postgres {
namespace {

constexpr int64_t kMinute = 60'000;
// One process at a time makes or drops partitions (a session lock: DETACH CONCURRENTLY runs outside transactions).
constexpr int64_t kMaintenanceLock = 7306916238462391843;

struct Table {
  const char* name;
  const char* prefix;  // of the ids the partition key holds
  const char* key;
};
constexpr Table kEvents{"events", "evt_", "id"};
constexpr Table kDeliveries{"deliveries", "dlv_", "id"};
constexpr Table kAttempts{"attempts", "dlv_", "delivery_id"};

struct Span {
  std::string family;
  int64_t lower_ms = 0;  // 0: from the lowest id (the history span)
  int64_t upper_ms = 0;
};

std::vector<Table> TablesOf(const std::string& family) {
  if (family == "events") return {kEvents};
  return {kDeliveries, kAttempts};
}

std::string Quoted(const std::string& text) {
  return "'" + text + "'";  // ids and names made here: letters, digits and '_'
}

// events_history, or events_p20261207_042500 for the span starting then (UTC).
std::string PartitionName(const Table& table, int64_t lower_ms) {
  if (lower_ms == 0) return std::string(table.name) + "_history";
  const std::time_t seconds = static_cast<std::time_t>(lower_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char suffix[32];
  std::strftime(suffix, sizeof suffix, "_p%Y%m%d_%H%M%S", &tm);
  return std::string(table.name) + suffix;
}

std::string LowerBound(const Table& table, int64_t lower_ms) {
  return lower_ms == 0 ? "MINVALUE" : Quoted(LowestIdAt(table.prefix, lower_ms));
}

std::string AttachSql(const Table& table, const Span& span) {
  return "ALTER TABLE " + std::string(table.name) + " ATTACH PARTITION " + PartitionName(table, span.lower_ms) +
         " FOR VALUES FROM (" + LowerBound(table, span.lower_ms) + ") TO (" +
         Quoted(LowestIdAt(table.prefix, span.upper_ms)) + ")";
}

Result<bool> TryMaintenanceLock(Connection& conn) {
  auto r = conn.Exec("SELECT pg_try_advisory_lock($1)", Params().Add(kMaintenanceLock));
  if (!r) return Fail(r.error());
  return r->Bool(0, 0);
}

void ReleaseMaintenanceLock(Connection& conn) {
  (void)conn.Exec("SELECT pg_advisory_unlock($1)", Params().Add(kMaintenanceLock));
}

Result<std::vector<Span>> ReadSpans(Connection& conn) {
  auto r = conn.Exec("SELECT family, lower_ms, upper_ms FROM hookd_partitions ORDER BY family, lower_ms");
  if (!r) return Fail(r.error());
  std::vector<Span> spans;
  for (int i = 0; i < r->Count(); ++i) spans.push_back({r->Text(i, 0), r->Int(i, 1), r->Int(i, 2)});
  return spans;
}

// A new empty table shaped like the parent, attached: attaching takes a lock that lets readers and writers of the
// parent go on (CREATE TABLE … PARTITION OF would stop them for a moment).
Status CreateSpan(Connection& conn, const Span& span) {
  for (const Table& table : TablesOf(span.family)) {
    const std::string name = PartitionName(table, span.lower_ms);
    if (auto st = conn.ExecOnce("CREATE TABLE " + name + " (LIKE " + table.name + " INCLUDING DEFAULTS)"); !st) {
      return st;
    }
    if (auto st = conn.ExecOnce(AttachSql(table, span)); !st) return st;
  }
  auto r = conn.Exec("INSERT INTO hookd_partitions(family, lower_ms, upper_ms) VALUES ($1, $2, $3)",
                     Params().Add(span.family).Add(span.lower_ms).Add(span.upper_ms));
  if (!r) return Fail(r.error());
  return Ok();
}

// Detaches the partition unless it is detached already, finishing a detach that was interrupted.
Status Detach(Connection& conn, const Table& table, const std::string& name) {
  auto state =
      conn.Exec("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass($1)", Params().Add(name));
  if (!state) return Fail(state.error());
  if (state->Count() == 0) return Ok();
  const std::string how = state->Bool(0, 0) ? " FINALIZE" : " CONCURRENTLY";
  return conn.ExecOnce("ALTER TABLE " + std::string(table.name) + " DETACH PARTITION " + name + how);
}

Result<int64_t> RowsIn(Connection& conn, const std::string& name) {
  auto estimate = conn.Exec("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1)", Params().Add(name));
  if (!estimate) return Fail(estimate.error());
  if (estimate->Count() == 0) return 0;
  if (estimate->Int(0, 0) >= 0) return estimate->Int(0, 0);
  auto counted = conn.QueryOnce("SELECT count(*) FROM " + name);  // never analyzed: small
  if (!counted) return Fail(counted.error());
  return counted->Int(0, 0);
}

// Whether the span still holds something needed, asked of the parent tables ("") or, once detached, of the span's
// partition.
using StillNeeded = std::function<Result<bool>(Connection&, const std::string& partition)>;

// Drops the span's partitions unless `needed` says otherwise, before or after they are detached (re-attaching them
// then). Returns the rows dropped, or -1 when the span stays.
Result<int64_t> DropSpan(Connection& conn, const Span& span, const StillNeeded& needed) {
  const std::vector<Table> tables = TablesOf(span.family);
  const std::string main = PartitionName(tables.front(), span.lower_ms);
  auto forget = [&]() -> Status {
    auto r = conn.Exec("DELETE FROM hookd_partitions WHERE family = $1 AND lower_ms = $2",
                       Params().Add(span.family).Add(span.lower_ms));
    if (!r) return Fail(r.error());
    return Ok();
  };
  auto exists = conn.Exec("SELECT to_regclass($1) IS NOT NULL", Params().Add(main));
  if (!exists) return Fail(exists.error());
  if (!exists->Bool(0, 0)) {  // dropped by a run that stopped before it forgot the span
    for (size_t i = 1; i < tables.size(); ++i) {
      const std::string name = PartitionName(tables[i], span.lower_ms);
      if (auto st = Detach(conn, tables[i], name); !st) return Fail(st.error());
      if (auto st = conn.ExecOnce("DROP TABLE IF EXISTS " + name); !st) return Fail(st.error());
    }
    if (auto st = forget(); !st) return Fail(st.error());
    return 0;
  }
  auto before = needed(conn, "");
  if (!before) return Fail(before.error());
  if (*before) return -1;
  auto rows = RowsIn(conn, main);
  if (!rows) return Fail(rows.error());
  if (auto st = Detach(conn, tables.front(), main); !st) return Fail(st.error());
  auto after = needed(conn, main);
  if (!after) return Fail(after.error());
  if (*after) {
    if (auto st = conn.ExecOnce(AttachSql(tables.front(), span)); !st) return Fail(st.error());
    return -1;
  }
  for (size_t i = 1; i < tables.size(); ++i) {
    if (auto st = Detach(conn, tables[i], PartitionName(tables[i], span.lower_ms)); !st) return Fail(st.error());
  }
  for (const Table& table : tables) {
    if (auto st = conn.ExecOnce("DROP TABLE IF EXISTS " + PartitionName(table, span.lower_ms)); !st) {
      return Fail(st.error());
    }
  }
  if (auto st = forget(); !st) return Fail(st.error());
  return *rows;
}

std::string IdAt(const char* prefix, int64_t ms) {
  return ms == 0 ? "" : LowestIdAt(prefix, ms);
}

// A span of deliveries is needed while one of them is unfinished.
StillNeeded UnfinishedDeliveries(const Span& span) {
  return [span](Connection& conn, const std::string& partition) -> Result<bool> {
    auto r = partition.empty()
                 ? conn.Exec(
                       "SELECT EXISTS (SELECT 1 FROM deliveries WHERE id >= $1 AND id < $2 "
                       "AND completed_at IS NULL)",
                       Params().Add(IdAt("dlv_", span.lower_ms)).Add(IdAt("dlv_", span.upper_ms)))
                 : conn.QueryOnce("SELECT EXISTS (SELECT 1 FROM " + partition + " WHERE completed_at IS NULL)");
    if (!r) return Fail(r.error());
    return r->Bool(0, 0);
  };
}

// A span of events is needed while a delivery of one of them is kept.
StillNeeded DeliveredEvents(const Span& span) {
  return [span](Connection& conn, const std::string&) -> Result<bool> {
    auto r = conn.Exec("SELECT EXISTS (SELECT 1 FROM deliveries WHERE event_id >= $1 AND event_id < $2)",
                       Params().Add(IdAt("evt_", span.lower_ms)).Add(IdAt("evt_", span.upper_ms)));
    if (!r) return Fail(r.error());
    return r->Bool(0, 0);
  };
}

// Where rows may be purged one by one: up to the start of the span holding the cutoff, or the cutoff itself when
// that span is the history span (or none holds it), or when the retention is shorter than four spans.
int64_t RowPurgeBound(const std::vector<Span>& spans, const std::string& family, int64_t cutoff_ms,
                      int64_t retention_ms) {
  if (4 * PartitionWidthFor(retention_ms) > retention_ms) return cutoff_ms;
  for (const Span& span : spans) {
    if (span.family == family && span.lower_ms <= cutoff_ms && cutoff_ms < span.upper_ms) {
      return span.lower_ms == 0 ? cutoff_ms : span.lower_ms;
    }
  }
  return cutoff_ms;
}

}  // namespace

int64_t PartitionWidthFor(int64_t retention_ms) {
  constexpr std::array<int64_t, 6> kWidths = {kMinute,      5 * kMinute,   15 * kMinute,
                                              60 * kMinute, 360 * kMinute, 1440 * kMinute};
  int64_t width = kWidths.front();
  for (int64_t w : kWidths) {
    if (w <= retention_ms / 4) width = w;
  }
  return width;
}

int64_t PartitionLookaheadFor(int64_t width_ms) {
  return std::max(3 * width_ms, 10 * kMinute);
}

Result<int64_t> EnsurePartitions(Connection& conn, int64_t now_ms, int64_t width_ms) {
  auto locked = TryMaintenanceLock(conn);
  if (!locked) return Fail(locked.error());
  if (!*locked) return 0;
  int64_t reached = 0;
  Status st = conn.Transaction([&](Connection& c) -> Status {
    if (auto s = c.ExecOnce("SET LOCAL lock_timeout = '10s'"); !s) return s;
    auto r = c.Exec("SELECT COALESCE(MAX(upper_ms), 0) FROM hookd_partitions WHERE family = 'deliveries'");
    if (!r) return Fail(r.error());
    reached = r->Int(0, 0);
    const int64_t goal = now_ms + PartitionLookaheadFor(width_ms);
    while (reached < goal) {
      // Time nothing was made in (no process ran) is one span, not one per width.
      int64_t upper = (reached / width_ms + 1) * width_ms;
      if (upper + width_ms < now_ms) upper = now_ms / width_ms * width_ms;
      for (const char* family : {"events", "deliveries"}) {
        if (auto s = CreateSpan(c, Span{family, reached, upper}); !s) return s;
      }
      reached = upper;
    }
    return Ok();
  });
  ReleaseMaintenanceLock(conn);
  if (!st) return Fail(st.error());
  return reached;
}

Status PartitionHighVolumeTables(Connection& conn, int64_t now_ms) {
  // The history span reaches past every id stored (a process's clock may have run ahead of this one's).
  int64_t upper = now_ms;
  for (const Table& table : {kEvents, kDeliveries, kAttempts}) {
    auto r = conn.QueryOnce("SELECT max(" + std::string(table.key) + ") FROM " + table.name + "_history");
    if (!r) return Fail(r.error());
    if (r->IsNull(0, 0)) continue;
    upper = std::max(upper, static_cast<int64_t>(UlidValue(r->Text(0, 0)) >> 80) + 1);
  }
  for (const char* family : {"events", "deliveries"}) {
    const Span history{family, 0, upper};
    for (const Table& table : TablesOf(family)) {
      if (auto st = conn.ExecOnce(AttachSql(table, history)); !st) return st;
    }
    auto r = conn.Exec("INSERT INTO hookd_partitions(family, lower_ms, upper_ms) VALUES ($1, 0, $2)",
                       Params().Add(history.family).Add(upper));
    if (!r) return Fail(r.error());
  }
  return Ok();
}

Result<PartitionPurge> DropExpiredPartitions(Connection& conn, int64_t cutoff_ms, int64_t retention_ms) {
  auto spans = ReadSpans(conn);
  if (!spans) return Fail(spans.error());
  PartitionPurge purge;
  auto locked = TryMaintenanceLock(conn);
  if (!locked) return Fail(locked.error());
  if (*locked) {
    Status st = conn.ExecOnce("SET lock_timeout = '10s'");
    // Deliveries first: their events can go once they have.
    for (const char* family : {"deliveries", "events"}) {
      for (const Span& span : *spans) {
        if (!st || span.family != family || span.upper_ms > cutoff_ms) continue;
        auto dropped =
            DropSpan(conn, span, span.family == "events" ? DeliveredEvents(span) : UnfinishedDeliveries(span));
        if (!dropped) {
          st = Fail(dropped.error());
        } else if (*dropped >= 0) {
          purge.rows += *dropped;
        }
      }
    }
    (void)conn.ExecOnce("RESET lock_timeout");
    ReleaseMaintenanceLock(conn);
    if (!st) return Fail(st.error());
    spans = ReadSpans(conn);
    if (!spans) return Fail(spans.error());
  }
  purge.events_before_ms = RowPurgeBound(*spans, "events", cutoff_ms, retention_ms);
  purge.deliveries_before_ms = RowPurgeBound(*spans, "deliveries", cutoff_ms, retention_ms);
  return purge;
}

}  // namespace hookd::postgres
