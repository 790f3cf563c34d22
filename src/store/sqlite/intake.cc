// SQLite: accepting events (idempotency, matching, the deliveries made durable through the awaiting table) and
// reading them back.
#include "common/time_util.h"
#include "domain/delivery_rules.h"
#include "store/row_mapping.h"
#include "store/row_values.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/stats.h"

namespace hookd::sqlite {

const std::vector<MatchCache::Target>& SqliteStore::MatchTargets(Database& db, const std::string& account_id) {
  writer_thread_.AssertOnOwner();
  if (const auto* cached = match_cache_.Find(account_id)) return *cached;
  std::vector<MatchCache::Target> targets;
  auto q = db.Prepare("SELECT id, active, environment, events FROM webhooks WHERE account_id = ? ORDER BY id");
  q.Bind(1, account_id);
  while (q.Step()) targets.push_back({q.Text(0), q.Bool(1), q.Text(2), q.Strings(3)});
  return match_cache_.Put(account_id, std::move(targets));
}

void SqliteStore::ForgetMatchTargets(const std::string& account_id) {
  writer_thread_.AssertOnOwner();
  match_cache_.Forget(account_id);
}

Status SqliteStore::AcceptOne(Database& db, NewEvent& input, int64_t now_ms, AcceptedEvent& out, StatsDelta& stats) {
  Event& e = input.event;
  if (!input.idempotency_key.empty()) {
    auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS
                        ", initial_deliveries FROM events "
                        "WHERE account_id = ? AND idempotency_key = ?");
    q.Bind(1, e.account_id).Bind(2, input.idempotency_key);
    if (q.Step()) {
      if (q.Int(6) >= IdempotencyKeysHeldSince(now_ms)) {
        out.event = EventFromRow(q);
        out.delivery_count = static_cast<int>(q.Int(7));
        out.replayed = true;
        return Ok();
      }
      const std::string old_id = q.Text(0);
      if (auto r = db.Prepare("UPDATE events SET idempotency_key = NULL WHERE id = ?").Bind(1, old_id).Run(); !r) {
        return r;
      }
    }
  }
  out.event = e;
  const std::vector<std::string> targets = MatchCache::Receivers(MatchTargets(db, e.account_id), e);
  out.delivery_count = static_cast<int>(targets.size());
  auto ins = db.Prepare("INSERT INTO events(" HOOKD_EVENT_COLUMNS
                        ", idempotency_key, initial_deliveries) VALUES (?,?,?,?,?,?,?,?,?)");
  ins.BindView(1, e.id).BindView(2, e.account_id).BindView(3, e.type).BindView(4, e.environment);
  ins.BindView(5, e.data_json);
  if (e.metadata_json.empty()) {
    ins.BindNull(6);
  } else {
    ins.BindView(6, e.metadata_json);
  }
  ins.Bind(7, e.created_at_ms);
  if (input.idempotency_key.empty()) {
    ins.BindNull(8);
  } else {
    ins.BindView(8, input.idempotency_key);
  }
  ins.Bind(9, out.delivery_count);
  if (auto r = ins.Run(); !r) return r;
  out.deliveries.reserve(targets.size());
  for (const std::string& webhook_id : targets) {
    out.deliveries.push_back(NewDelivery(e, webhook_id, now_ms));
    stats.Created(StatsKeyOf(out.deliveries.back()));
  }
  // Durable through the event's awaiting row; each delivery's own row comes with its first outcome.
  return awaiting_.Add(db, e, out.deliveries, now_ms);
}

void SqliteStore::AcceptEventsAsync(std::vector<NewEvent> events,
                                    std::function<void(Result<std::vector<AcceptedEvent>>)> done) {
  struct Batch {
    std::vector<NewEvent> events;
    std::vector<AcceptedEvent> accepted;
  };
  auto batch = std::make_shared<Batch>(Batch{std::move(events), {}});
  writer_->Submit(
      [this, batch](Database& db) -> Status {
        batch->accepted.clear();
        batch->accepted.resize(batch->events.size());
        const int64_t now = clock_.NowMs();
        StatsDelta stats;
        for (size_t i = 0; i < batch->events.size(); ++i) {
          if (auto r = AcceptOne(db, batch->events[i], now, batch->accepted[i], stats); !r) return r;
        }
        CountStats(stats);
        return Ok();
      },
      [batch, done = std::move(done)](Status st) {
        if (!st) return done(Fail(st.error()));
        done(std::move(batch->accepted));
      },
      GroupCommitWriter::Timing::kIndependent);  // new events do not depend on the outcomes held in bulk
}

Result<Event> SqliteStore::GetEvent(const std::string& account_id, const std::string& id) {
  return WithReader([&](Database& db) -> Result<Event> {
    auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ? AND account_id = ?");
    q.Bind(1, id).Bind(2, account_id);
    if (!q.Step()) return Fail(Error::NotFound("event not found"));
    return EventFromRow(q);
  });
}

Result<Event> SqliteStore::GetEventById(const std::string& id) {
  return WithReader([&](Database& db) -> Result<Event> {
    auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ?");
    q.Bind(1, id);
    if (!q.Step()) return Fail(Error::NotFound("event not found"));
    return EventFromRow(q);
  });
}

Result<std::vector<Event>> SqliteStore::GetEventsByIds(const std::vector<std::string>& ids) {
  return WithReader([&](Database& db) -> Result<std::vector<Event>> {
    std::vector<Event> events;
    for (const std::string& id : ids) {
      auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ?");  // cached: prepared once
      q.Bind(1, id);
      if (q.Step()) events.push_back(EventFromRow(q));
    }
    return events;
  });
}

Result<Page<Event>> SqliteStore::ListEvents(const std::string& account_id, const EventFilter& filter,
                                            const PageRequest& page) {
  return WithReader([&](Database& db) -> Result<Page<Event>> {
    auto q = db.Prepare("SELECT " HOOKD_EVENT_COLUMNS
                        " FROM events "
                        "WHERE account_id = ?1 AND (?2 = '' OR id < ?2) AND (?3 = '' OR type = ?3) "
                        "AND (?4 IS NULL OR created_at >= ?4) AND (?5 IS NULL OR created_at < ?5) "
                        "ORDER BY id DESC LIMIT ?6");
    q.Bind(1, account_id)
        .Bind(2, page.cursor)
        .Bind(3, filter.type)
        .Bind(4, filter.since_ms)
        .Bind(5, filter.until_ms)
        .Bind(6, page.limit + 1);
    return MakePage(AllRows(q, EventFromRow<Statement>), page.limit);
  });
}

}  // namespace hookd::sqlite
