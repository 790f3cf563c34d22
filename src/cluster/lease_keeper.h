// A process's side of dividing the work (SPEC §6): every round it renews its shard leases and takes its fair share
// of the rest (store/work_distribution.h), tells the engine which shards it runs and until when, reads the
// unfinished deliveries of every shard it has just taken (or taken again under a new epoch), hands back shards
// beyond its share once their attempts are done, and publishes its attempts in flight (so `delivering` shows from
// every process). Rounds run well within a lease: every second, or a quarter of the lease if that is shorter. Where
// announcements can be lost, every held shard is also read again every five minutes, so a lost one delays a
// delivery but never loses it. One process on its own takes every shard in its first round, and that first read is
// how it resumes after a restart.
//
// Thread-safety: rounds run on the keeper's own thread (or the caller's, through RunRound); Holds and RescanAll may
// be called from any.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/periodic_task.h"
#include "delivery/delivery_work.h"
#include "domain/sharding.h"
#include "store/work_distribution.h"

namespace hookd {

class LeaseKeeper {
 public:
  LeaseKeeper(WorkDistribution& distribution, DeliveryWork& work, const Clock& clock, int64_t lease_duration_ms,
              Metrics* metrics = nullptr);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  // Runs a first round now, then one every round interval on the keeper's thread.
  void Start();
  // Stops the rounds and gives every shard back, so others take them at once. Call once the engine has stopped
  // (no attempt in flight).
  void Stop();
  // One round. Start's thread calls it; unit tests call it directly, moving the clock between rounds.
  void RunRound();

  // Whether this process runs `shard` now.
  [[nodiscard]] bool Holds(int shard) const {
    return held_[static_cast<size_t>(shard)].load(std::memory_order_relaxed);
  }
  // Reads every held shard's unfinished deliveries again at the next round (notices may have been lost).
  void RescanAll() { rescan_all_.store(true); }

 private:
  // Hands the unfinished deliveries of `shards` to the engine; false when the store could not be read.
  bool Scan(const std::vector<int>& shards);

  static constexpr int64_t kNotScanned = -1;

  WorkDistribution& distribution_;
  DeliveryWork& work_;
  const Clock& clock_;
  Metrics* metrics_;
  const int64_t round_interval_ms_;
  std::unique_ptr<PeriodicTask> rounds_;
  std::array<std::atomic<bool>, kShardCount> held_{};
  bool stopped_ = false;

  // The rounds' thread only.
  std::array<int64_t, kShardCount> scanned_epoch_;  // the epoch under which each shard was last read in full
  std::array<int, kShardCount> withheld_rounds_{};  // rounds a surplus shard has been kept from the engine
  std::vector<std::string> published_in_flight_;
  int64_t last_full_scan_ms_;  // steady
  size_t reported_held_ = 0;
  bool reported_failure_ = false;
  std::atomic<bool> rescan_all_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace hookd
