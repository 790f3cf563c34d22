// Shard leases (SPEC §6): how worker processes sharing one PostgreSQL divide the shards, and what each worker
// shows the others (its heartbeat, its attempts in flight). Each round a worker
// records its heartbeat, renews the leases it holds, and takes free or expired shards up to its fair share
// (shards / live workers, rounded up); what it holds beyond that share it is told to hand back once the attempts
// running there are done. Taking a shard raises its fencing epoch, so every write made under an older epoch can be
// refused. Expiry is judged on the database's clock, so the processes' clocks need not agree; a worker counts its
// own lease as ending one lease duration after it asked for the renewal, which is never later than the database's.
//
// Not thread-safe: one thread (the worker's lease keeper) runs the rounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/postgres/pool.h"
#include "store/work_distribution.h"

namespace hookd::postgres {

class ShardLeases {
 public:
  // `worker_id` names the worker across restarts (its data directory's worker name).
  // Lease ends are reckoned on `clock`'s monotonic time.
  ShardLeases(Pool& pool, std::string worker_id, std::chrono::milliseconds lease_duration, const Clock& clock);

  // One round: heartbeat, renewal, taking up to the fair share (domain/sharding.h).
  [[nodiscard]] Result<LeaseRound> Round();
  // Gives shards back (their attempts have finished), so another worker may take them at once.
  [[nodiscard]] Status Release(const std::vector<int>& shards);
  // Gives every shard back and removes the worker's heartbeat (on shutdown).
  [[nodiscard]] Status ReleaseAll();
  // Records the deliveries this worker has attempts in flight for, so every process shows them `delivering`.
  [[nodiscard]] Status PublishInFlight(const std::vector<std::string>& delivery_ids);

  [[nodiscard]] const std::string& worker_id() const { return worker_id_; }

 private:
  Pool& pool_;
  std::string worker_id_;
  std::chrono::milliseconds lease_duration_;
  const Clock& clock_;
  bool first_round_ = true;
};

// The deliveries that live workers (a heartbeat within `fresh`) have attempts in flight for.
[[nodiscard]] Result<std::vector<std::string>> DeliveriesInFlight(Pool& pool, std::chrono::milliseconds fresh);

}  // namespace hookd::postgres
