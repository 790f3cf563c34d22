// The awaiting row lists an event's deliveries as "delivery_id webhook_id" pairs separated by spaces (ids hold no
// spaces); pending rows are written with INSERT OR IGNORE, so writing one twice, or one already recorded, is safe.
#include "store/sqlite/awaiting_deliveries.h"

#include "domain/delivery_rules.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kInsertAwaitingSql =
    "INSERT INTO events_awaiting_deliveries(event_id, accepted_at, deliveries) VALUES (?,?,?)";
constexpr const char* kDeleteAwaitingSql = "DELETE FROM events_awaiting_deliveries WHERE event_id = ?";
constexpr const char* kSelectAwaitingSql =
    "SELECT a.event_id, a.accepted_at, a.deliveries, e.account_id, e.type FROM events_awaiting_deliveries a "
    "LEFT JOIN events e ON e.id = a.event_id ORDER BY a.event_id";
constexpr const char* kInsertPendingSql =
    "INSERT OR IGNORE INTO deliveries(id, account_id, event_id, webhook_id, event_type, status, attempt_count, "
    "next_attempt_at, created_at) VALUES (?,?,?,?,?,'pending',0,?6,?6)";

}  // namespace

Status AwaitingDeliveries::Add(Database& db, const Event& event, const std::vector<Delivery>& deliveries,
                               int64_t accepted_at_ms) {
  writer_thread_.AssertOnOwner();
  if (deliveries.empty()) return Ok();
  if (auto st = RepairIfNeeded(db); !st) return st;
  std::string list;
  list.reserve(deliveries.size() * 64);
  for (const Delivery& d : deliveries) {
    if (!list.empty()) list += ' ';
    list.append(d.id).append(" ").append(d.webhook_id);
  }
  auto ins = db.Prepare(kInsertAwaitingSql);
  ins.BindView(1, event.id).Bind(2, accepted_at_ms).BindView(3, list);
  if (auto st = ins.Run(); !st) return st;
  const UlidKey event_key = UlidValue(event.id);
  events_[event_key] =
      AwaitingEvent{event.id, event.account_id, event.type, accepted_at_ms, static_cast<int>(deliveries.size())};
  for (const Delivery& d : deliveries) deliveries_[UlidValue(d.id)] = AwaitingDelivery{event_key, d.webhook_id};
  changes_.fetch_add(1, std::memory_order_acq_rel);
  return Ok();
}

Result<bool> AwaitingDeliveries::WriteOutcome(Database& db, const OutcomeValues& o, StatsDelta& stats) {
  writer_thread_.AssertOnOwner();
  if (auto st = RepairIfNeeded(db); !st) return Fail(st.error());
  const auto d = deliveries_.find(UlidValue(o.delivery_id));
  const bool first = d != deliveries_.end();
  const AwaitingEvent* e = first ? &events_.at(d->second.event) : nullptr;
  if (first) {  // counted as pending when accepted
    stats.Change({e->account_id, d->second.webhook_id, e->event_type, e->accepted_at_ms}, DeliveryStatsState{},
                 StatsStateOf(o));
  } else {
    const std::optional<StoredStatsPlace> stored = ReadStatsPlace(db, o.delivery_id);
    if (!stored) return false;  // deleted with its webhook
    if (IsFinished(stored->state.status)) return true;
    stats.Change(stored->Key(), stored->state, StatsStateOf(o));
  }
  {
    auto row = db.Prepare(first ? kInsertDeliveryOutcomeSql : kUpdateDeliveryOutcomeSql);
    if (first) {
      row.BindView(10, e->account_id).BindView(11, e->event_id).BindView(12, d->second.webhook_id);
      row.BindView(13, e->event_type).Bind(14, e->accepted_at_ms);
    }
    row.BindView(1, o.delivery_id).BindView(2, ToString(o.status)).Bind(3, o.attempt_count);
    row.Bind(4, o.next_attempt_at_ms).Bind(5, o.completed_at_ms).Bind(6, o.latency_ms);
    if (o.response_status)
      row.Bind(7, *o.response_status);
    else
      row.BindNull(7);
    row.Bind(8, o.response_time_ms);
    if (o.error.empty())
      row.BindNull(9);
    else
      row.BindView(9, o.error);
    if (auto st = row.Run(); !st) return Fail(st.error());
  }
  if (!first) return true;
  const UlidKey event_key = d->second.event;
  deliveries_.erase(d);
  auto event = events_.find(event_key);
  if (--event->second.awaiting > 0) return true;
  if (auto st = db.Prepare(kDeleteAwaitingSql).BindView(1, event->second.event_id).Run(); !st) return Fail(st.error());
  events_.erase(event);
  return true;
}

Status AwaitingDeliveries::WriteAwaitingAsPending(Database& db, int64_t before_ms) {
  writer_thread_.AssertOnOwner();
  if (auto st = RepairIfNeeded(db); !st) return st;
  return WriteRows(db, before_ms);
}

Status AwaitingDeliveries::WriteRows(Database& db, int64_t before_ms) {
  struct Row {
    std::string event_id, list, account_id, event_type;
    int64_t accepted_at_ms;
    bool event_exists;
  };
  std::vector<Row> rows;
  {
    auto q = db.Prepare(kSelectAwaitingSql);
    while (q.Step()) {
      if (q.Int(1) >= before_ms) break;  // ids sort by time: the rest are younger
      rows.push_back(Row{q.Text(0), q.Text(2), q.Text(3), q.Text(4), q.Int(1), !q.IsNull(3)});
    }
    if (q.Failed()) return Fail(Error::Internal("reading awaiting deliveries failed: " + db.LastError()));
  }
  for (const Row& row : rows) {
    Status written = Ok();
    ForEachAwaitingPair(row.list, [&](std::string_view delivery_id, std::string_view webhook_id) {
      // A trusted map knows which deliveries were recorded already; otherwise INSERT OR IGNORE keeps their rows.
      if (!written || !row.event_exists || (map_trusted_ && !deliveries_.contains(UlidValue(delivery_id)))) return;
      written = db.Prepare(kInsertPendingSql)
                    .BindView(1, delivery_id)
                    .BindView(2, row.account_id)
                    .BindView(3, row.event_id)
                    .BindView(4, webhook_id)
                    .BindView(5, row.event_type)
                    .Bind(6, row.accepted_at_ms)
                    .Run();
    });
    if (!written) return written;
    if (auto st = db.Prepare(kDeleteAwaitingSql).BindView(1, row.event_id).Run(); !st) return st;
    Forget(row.event_id, row.list);
  }
  if (before_ms == INT64_MAX) {
    events_.clear();
    deliveries_.clear();
  }
  return Ok();
}

Result<bool> AwaitingDeliveries::AnyAwaiting(Database& db) {
  writer_thread_.AssertOnOwner();
  auto q = db.Prepare("SELECT 1 FROM events_awaiting_deliveries LIMIT 1");
  const bool any = q.Step();
  if (q.Failed()) return Fail(Error::Internal("reading awaiting deliveries failed: " + db.LastError()));
  return any;
}

void AwaitingDeliveries::OnRollback() {
  writer_thread_.AssertOnOwner();
  map_trusted_ = false;
  changes_.fetch_add(1, std::memory_order_acq_rel);
}

void AwaitingDeliveries::WrittenThrough(uint64_t changes) {
  uint64_t seen = written_through_.load(std::memory_order_acquire);
  while (seen < changes && !written_through_.compare_exchange_weak(seen, changes, std::memory_order_acq_rel)) {
  }
}

Status AwaitingDeliveries::RepairIfNeeded(Database& db) {
  if (map_trusted_) return Ok();
  events_.clear();
  deliveries_.clear();
  // With the map empty and untrusted, every awaiting delivery is written (INSERT OR IGNORE keeps recorded rows).
  if (auto st = WriteRows(db, INT64_MAX); !st) return st;
  map_trusted_ = true;
  return Ok();
}

void AwaitingDeliveries::Forget(std::string_view event_id, std::string_view list) {
  events_.erase(UlidValue(event_id));
  ForEachAwaitingPair(
      list, [&](std::string_view delivery_id, std::string_view) { deliveries_.erase(UlidValue(delivery_id)); });
}

}  // namespace hookd::sqlite
