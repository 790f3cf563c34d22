// Lease rounds in three statements: the heartbeat with the count of live workers, the renewal of what this worker
// holds (a lease that lapsed is not renewed: another worker may already have it), and the taking of free or
// expired shards, locked with SKIP LOCKED so workers taking at once never wait for each other.
#include "store/postgres/shard_leases.h"

#include <algorithm>

#include "domain/sharding.h"

namespace hookd::postgres {
namespace {

#define DB_NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

}  // namespace

ShardLeases::ShardLeases(Pool& pool, std::string worker_id, std::chrono::milliseconds lease_duration,
                         const Clock& clock)
    : pool_(pool), worker_id_(std::move(worker_id)), lease_duration_(lease_duration), clock_(clock) {}

Result<LeaseRound> ShardLeases::Round() {
  const int64_t duration_ms = lease_duration_.count();
  // A lease ends one duration after it was asked for: never later than the database reckons it.
  const int64_t expires_steady_ms = clock_.SteadyMs() + duration_ms;
  return pool_.With([&](Connection& c) -> Result<LeaseRound> {
    LeaseRound round;
    auto live = c.Exec("WITH beat AS (INSERT INTO hookd_workers(id, started_at, heartbeat_at) VALUES ($1, " DB_NOW_MS
                       ", " DB_NOW_MS
                       ") ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at) "
                       "SELECT count(*) + 1 FROM hookd_workers WHERE id <> $1 AND heartbeat_at > " DB_NOW_MS " - $2",
                       Params().Add(worker_id_).Add(duration_ms));
    if (!live) return Fail(live.error());
    round.live_workers = static_cast<int>(live->Int(0, 0));
    const int share = FairShare(round.live_workers);

    // On its first round a worker may find leases still held under its name: its own previous run (the same data
    // directory, restarted). It takes them back at once rather than wait for them to lapse, under new epochs, so
    // anything that run left unrecorded is fenced (FOR UPDATE: after any outcome of that run still being written).
    auto renewed = c.Exec(
        first_round_ ? "UPDATE shard_leases SET epoch = epoch + 1, expires_at = " DB_NOW_MS
                       " + $2 "
                       "WHERE shard IN (SELECT shard FROM shard_leases WHERE owner = $1 AND expires_at > " DB_NOW_MS
                       " FOR UPDATE) RETURNING shard, epoch"
                     : "UPDATE shard_leases SET expires_at = " DB_NOW_MS
                       " + $2 WHERE owner = $1 AND expires_at > " DB_NOW_MS " RETURNING shard, epoch",
        Params().Add(worker_id_).Add(duration_ms));
    if (!renewed) return Fail(renewed.error());
    for (int i = 0; i < renewed->Count(); ++i) {
      round.held.push_back(
          ShardLease{static_cast<int>(renewed->Int(i, 0)), renewed->Int(i, 1), expires_steady_ms, true});
    }

    const int wanted = share - static_cast<int>(round.held.size());
    if (wanted > 0) {
      auto taken =
          c.Exec("UPDATE shard_leases SET owner = $1, epoch = epoch + 1, expires_at = " DB_NOW_MS
                 " + $2 "
                 "WHERE shard IN (SELECT shard FROM shard_leases WHERE owner IS NULL OR expires_at <= " DB_NOW_MS
                 " ORDER BY shard LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING shard, epoch",
                 Params().Add(worker_id_).Add(duration_ms).Add(wanted));
      if (!taken) return Fail(taken.error());
      for (int i = 0; i < taken->Count(); ++i) {
        round.held.push_back(ShardLease{static_cast<int>(taken->Int(i, 0)), taken->Int(i, 1), expires_steady_ms, true});
      }
    }
    std::ranges::sort(round.held, {}, &ShardLease::shard);
    std::vector<int> held;
    for (const ShardLease& lease : round.held) held.push_back(lease.shard);
    round.surplus = SurplusShards(held, share);
    first_round_ = false;
    return round;
  });
}

Status ShardLeases::Release(const std::vector<int>& shards) {
  if (shards.empty()) return Ok();
  ArrayParam list;
  for (int shard : shards) list.Add(static_cast<int64_t>(shard));
  auto r = pool_.With([&](Connection& c) {
    return c.Exec(
        "UPDATE shard_leases SET owner = NULL, expires_at = 0 WHERE owner = $1 AND shard = ANY($2::integer[])",
        Params().Add(worker_id_).Add(list.Take()));
  });
  if (!r) return Fail(r.error());
  return Ok();
}

Status ShardLeases::ReleaseAll() {
  auto r = pool_.With([&](Connection& c) {
    return c.Transaction([&](Connection& c) -> Status {
      auto leases =
          c.Exec("UPDATE shard_leases SET owner = NULL, expires_at = 0 WHERE owner = $1", Params().Add(worker_id_));
      if (!leases) return Fail(leases.error());
      auto worker = c.Exec("DELETE FROM hookd_workers WHERE id = $1", Params().Add(worker_id_));
      if (!worker) return Fail(worker.error());
      return Ok();
    });
  });
  return r;
}

Status ShardLeases::PublishInFlight(const std::vector<std::string>& delivery_ids) {
  ArrayParam ids;
  for (const std::string& id : delivery_ids) ids.Add(id);
  auto r = pool_.With([&](Connection& c) {
    return c.Exec("UPDATE hookd_workers SET in_flight = $2::text[] WHERE id = $1",
                  Params().Add(worker_id_).Add(ids.Take()));
  });
  if (!r) return Fail(r.error());
  return Ok();
}

Result<std::vector<std::string>> DeliveriesInFlight(Pool& pool, std::chrono::milliseconds fresh) {
  auto r = pool.With([&](Connection& c) {
    return c.Exec("SELECT unnest(in_flight) FROM hookd_workers WHERE heartbeat_at > " DB_NOW_MS " - $1",
                  Params().Add(static_cast<int64_t>(fresh.count())));
  });
  if (!r) return Fail(r.error());
  std::vector<std::string> ids;
  for (int i = 0; i < r->Count(); ++i) ids.push_back(r->Text(i, 0));
  return ids;
}

}  // namespace hookd::postgres
