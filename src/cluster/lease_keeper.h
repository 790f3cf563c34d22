// A worker's side of scale-out (SPEC §6): every round it renews its shard leases and takes its fair share of the
// rest (store/postgres/shard_leases.h), tells the engine which shards it runs and until when, reads the unfinished
// deliveries of every shard it has just taken, hands back shards beyond its share once their attempts are done,
// and publishes its attempts in flight (so `delivering` shows from every process). Rounds run well within a lease:
// every second, or a quarter of the lease if that is shorter. Besides the notices that wake it, every held shard is
// read again every five minutes, so a lost notice delays a delivery but never loses it.
//
// Thread-safe: rounds run on the keeper's own thread; Holds and RescanAll may be called from any.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "common/periodic_task.h"
#include "delivery/engine.h"
#include "domain/sharding.h"
#include "store/postgres/postgres_store.h"
#include "store/postgres/shard_leases.h"

namespace hookd {

class LeaseKeeper {
 public:
  LeaseKeeper(postgres::PostgresStore& store, DeliveryEngine& engine, std::string worker_name,
              std::chrono::milliseconds lease_duration);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Runs a first round now, then one every round interval.
  void Start();
  // Stops the rounds and gives every shard back, so other workers take them at once. Call once the engine has
  // stopped (no attempt in flight).
  void Stop();

  // Whether this worker runs `shard` now.
  [[nodiscard]] bool Holds(int shard) const { return held_[static_cast<size_t>(shard)].load(std::memory_order_relaxed); }
  // Reads every held shard's unfinished deliveries again at the next round (notices may have been lost).
  void RescanAll() { rescan_all_.store(true); }

 private:
  void Round();
  // Hands the unfinished deliveries of `shards` to the engine; false when the store could not be read.
  bool Scan(const std::vector<int>& shards);

  postgres::PostgresStore& store_;
  DeliveryEngine& engine_;
  postgres::ShardLeases leases_;
  const std::chrono::milliseconds round_interval_;
  std::unique_ptr<PeriodicTask> rounds_;
  std::array<std::atomic<bool>, kShardCount> held_{};

  // Keeper thread only.
  std::array<int64_t, kShardCount> scanned_epoch_{};  // the epoch under which each shard was last read in full
  std::array<int, kShardCount> withheld_rounds_{};    // rounds a surplus shard has been kept from the engine
  std::vector<std::string> published_in_flight_;
  std::chrono::steady_clock::time_point last_full_scan_ = std::chrono::steady_clock::now();
  size_t reported_held_ = 0;
  bool reported_failure_ = false;
  std::atomic<bool> rescan_all_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace hookd
