// PostgreSQL: accepting events through the accept writer (idempotency keys in their own table, matching, every
// delivery in one statement, announced to the workers), finding commits whose outcome was in doubt, and reading
// events back.
#include <map>
#include <utility>

#include "common/ids.h"
#include "common/log.h"
#include "domain/delivery_rules.h"
#include "store/postgres/notices.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/statements.h"
#include "store/row_mapping.h"
#include "store/row_values.h"

namespace hookd::postgres {

Result<const std::vector<MatchCache::Target>*> PostgresStore::MatchTargets(Connection& conn,
                                                                           const std::string& account_id) {
  accept_thread_.AssertOnOwner();
  if (const auto* cached = match_cache_.Find(account_id)) return cached;
  auto r = conn.Exec("SELECT id, active, environment, events FROM webhooks WHERE account_id = $1 ORDER BY id",
                     Params().Add(account_id));
  if (!r) return Fail(r.error());
  std::vector<MatchCache::Target> targets;
  for (int i = 0; i < r->Count(); ++i) {
    targets.push_back({r->Text(i, 0), r->Bool(i, 1), r->Text(i, 2), r->TextArray(i, 3)});
  }
  return &match_cache_.Put(account_id, std::move(targets));
}

void PostgresStore::AcceptEventsAsync(std::vector<NewEvent> events,
                                      std::function<void(Result<std::vector<AcceptedEvent>>)> done) {
  accept_writer_->Submit(AcceptJob{std::move(events), std::move(done), {}});
}

Status PostgresStore::RecoverInDoubtDeliveries(Connection& conn) {
  const int64_t since = in_doubt_since_ms_.load();
  if (since == 0) return Ok();
  // Ids sort by time: every delivery made since a second before the first doubtful commit. Those the engine already
  // has are ignored by it.
  auto r = conn.Exec("SELECT " HOOKD_DELIVERY_COLUMNS
                     " FROM deliveries "
                     "WHERE id >= $1 AND completed_at IS NULL AND attempt_count = 0 ORDER BY id",
                     Params().Add(LowestIdAt("dlv_", since - 1000)));
  if (!r) return Fail(r.error());
  HandNewDeliveries(AllRows(*r, DeliveryFromRow<Row>));
  int64_t expected = since;  // unless another doubt arose meanwhile
  in_doubt_since_ms_.compare_exchange_strong(expected, 0);
  return Ok();
}

// An event with an idempotency key first takes the key in `idempotency_keys` (a unique index cannot span the events
// table's partitions). When the key is held, by an earlier request or by an event earlier in this batch, the event
// holding it is returned instead and nothing is created; a key past its day, or whose event retention took, passes to
// the new event. New events, and the deliveries of all of them, then go in one multi-row statement each.
Status PostgresStore::WriteAccepts(Connection& conn, std::vector<AcceptJob*>& jobs) {
  accept_thread_.AssertOnOwner();
  if (auto st = RecoverInDoubtDeliveries(conn); !st) return st;
  // Every webhook change committed before this batch was taken is seen.
  match_cache_.Follow(backend_->WebhooksGeneration());
  const int64_t now = clock_.NowMs();
  ArrayParam ids, accounts, types, environments, data, metadata, created, keys, counts;
  int created_events = 0;
  std::map<std::pair<std::string, std::string>, const AcceptedEvent*> keyed_here;
  std::vector<const Delivery*> deliveries;
  for (AcceptJob* job : jobs) {
    job->accepted.clear();
    job->accepted.resize(job->events.size());
    for (size_t i = 0; i < job->events.size(); ++i) {
      NewEvent& input = job->events[i];
      AcceptedEvent& out = job->accepted[i];
      const Event& e = input.event;
      const auto key = std::make_pair(e.account_id, input.idempotency_key);
      if (!input.idempotency_key.empty()) {
        if (auto it = keyed_here.find(key); it != keyed_here.end()) {
          out.event = it->second->event;
          out.delivery_count = it->second->delivery_count;
          out.replayed = true;
          continue;
        }
        auto taken = conn.Exec(
            "INSERT INTO idempotency_keys AS k (account_id, idempotency_key, event_id, created_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, idempotency_key) DO UPDATE "
            "SET event_id = EXCLUDED.event_id, created_at = EXCLUDED.created_at "
            "WHERE k.created_at < $5 OR NOT EXISTS (SELECT 1 FROM events WHERE id = k.event_id) RETURNING event_id",
            Params()
                .Add(e.account_id)
                .Add(input.idempotency_key)
                .Add(e.id)
                .Add(e.created_at_ms)
                .Add(IdempotencyKeysHeldSince(now)));
        if (!taken) return Fail(taken.error());
        if (taken->Count() == 0) {
          auto earlier = conn.Exec("SELECT " HOOKD_EVENT_COLUMNS
                                   ", initial_deliveries FROM events WHERE id = (SELECT event_id FROM "
                                   "idempotency_keys WHERE account_id = $1 AND idempotency_key = $2)",
                                   Params().Add(e.account_id).Add(input.idempotency_key));
          if (!earlier) return Fail(earlier.error());
          if (earlier->Count() == 0) return Fail(Error::Unavailable("an idempotency key changed hands; retry"));
          out.event = EventFromRow(Row(*earlier, 0));
          out.delivery_count = static_cast<int>(earlier->Int(0, 7));
          out.replayed = true;
          continue;
        }
      }
      auto targets = MatchTargets(conn, e.account_id);
      if (!targets) return Fail(targets.error());
      out.event = e;
      for (const std::string& webhook_id : MatchCache::Receivers(**targets, e)) {
        out.deliveries.push_back(NewDelivery(e, webhook_id, now));
      }
      out.delivery_count = static_cast<int>(out.deliveries.size());
      if (!input.idempotency_key.empty()) keyed_here.emplace(key, &out);
      ids.Add(e.id);
      accounts.Add(e.account_id);
      types.Add(e.type);
      environments.Add(e.environment);
      data.Add(e.data_json);
      metadata.AddOrNull(e.metadata_json);
      created.Add(e.created_at_ms);
      keys.AddOrNull(input.idempotency_key);
      counts.Add(static_cast<int64_t>(out.delivery_count));
      ++created_events;
      for (const Delivery& d : out.deliveries) deliveries.push_back(&d);
    }
  }
  if (created_events > 0) {
    auto r = conn.Exec(
        "INSERT INTO events(" HOOKD_EVENT_COLUMNS
        ", idempotency_key, initial_deliveries) "
        "SELECT u.id, u.account_id, u.type, u.environment, u.data::json, u.metadata::json, u.created_at, u.k, u.n "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], "
        "$8::text[], $9::integer[]) AS u(id, account_id, type, environment, data, metadata, created_at, k, n)",
        Params()
            .Add(ids.Take())
            .Add(accounts.Take())
            .Add(types.Take())
            .Add(environments.Take())
            .Add(data.Take())
            .Add(metadata.Take())
            .Add(created.Take())
            .Add(keys.Take())
            .Add(counts.Take()));
    if (!r) return Fail(r.error());
  }
  return InsertDeliveries(conn, backend_->process_id(), deliveries, now);
}

Result<Event> PostgresStore::GetEvent(const std::string& account_id, const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = $1 AND account_id = $2",
                  Params().Add(id).Add(account_id));
  });
  return FirstRow<Event>(r, "event", EventFromRow<Row>);
}

Result<Event> PostgresStore::GetEventById(const std::string& id) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = $1", Params().Add(id));
  });
  return FirstRow<Event>(r, "event", EventFromRow<Row>);
}

Result<std::vector<Event>> PostgresStore::GetEventsByIds(const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<Event>{};
  ArrayParam list;
  for (const std::string& id : ids) list.Add(id);
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_EVENT_COLUMNS " FROM events WHERE id = ANY($1::text[])", Params().Add(list.Take()));
  });
  if (!r) return Fail(r.error());
  return AllRows(*r, EventFromRow<Row>);
}

Result<Page<Event>> PostgresStore::ListEvents(const std::string& account_id, const EventFilter& filter,
                                              const PageRequest& page) {
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("SELECT " HOOKD_EVENT_COLUMNS
                  " FROM events "
                  "WHERE account_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR type = $3) "
                  "AND ($4::bigint IS NULL OR created_at >= $4) AND ($5::bigint IS NULL OR created_at < $5) "
                  "AND id >= $7 ORDER BY id DESC LIMIT $6",
                  Params()
                      .Add(account_id)
                      .Add(page.cursor)
                      .Add(filter.type)
                      .Add(filter.since_ms)
                      .Add(filter.until_ms)
                      .Add(page.limit + 1)
                      .Add(IdLowerBound("evt_", filter.since_ms)));
  });
  if (!r) return Fail(r.error());
  return MakePage(AllRows(*r, EventFromRow<Row>), page.limit);
}

}  // namespace hookd::postgres
