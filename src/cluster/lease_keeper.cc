// One round: leases, then the engine's view of them, then reads of newly taken shards, releases, publication.
#include "cluster/lease_keeper.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace hookd {
namespace {

constexpr int64_t kMaxRoundIntervalMs = 1000;
constexpr int64_t kFullScanIntervalMs = 5 * 60 * 1000;
constexpr size_t kScanBatch = 5000;

}  // namespace

LeaseKeeper::LeaseKeeper(WorkDistribution& distribution, DeliveryWork& work, const Clock& clock,
                         int64_t lease_duration_ms, Metrics* metrics)
    : distribution_(distribution),
      work_(work),
      clock_(clock),
      metrics_(metrics),
      round_interval_ms_(std::min(kMaxRoundIntervalMs, lease_duration_ms / 4)),
      last_full_scan_ms_(clock.SteadyMs()) {
  scanned_epoch_.fill(kNotScanned);
}

LeaseKeeper::~LeaseKeeper() {
  Stop();
}

void LeaseKeeper::Start() {
  RunRound();
  rounds_ = std::make_unique<PeriodicTask>("hookd-leases", std::chrono::milliseconds(round_interval_ms_),
                                           [this](PeriodicTask&) { RunRound(); });
}

void LeaseKeeper::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  rounds_.reset();
  for (auto& held : held_) held.store(false);
  if (auto st = distribution_.ReleaseAll(); !st) {
    LogWarn("could not hand back shard leases; they pass to other workers when they expire",
            {{"error", st.error().message}});
  }
}

void LeaseKeeper::RunRound() {
  auto round = distribution_.Round();
  if (!round) {
    // The engine keeps running until each lease's own deadline, then starts nothing more there.
    if (!reported_failure_) LogWarn("shard lease round failed", {{"error", round.error().message}});
    if (metrics_) metrics_->LeaseRound(false, 0);
    reported_failure_ = true;
    return;
  }
  reported_failure_ = false;

  std::vector<ShardLease> running;
  std::vector<int> taken;
  std::vector<int> drained;
  std::array<bool, kShardCount> in_round{};
  for (const ShardLease& lease : round->held) {
    const auto i = static_cast<size_t>(lease.shard);
    in_round[i] = true;
    if (std::ranges::find(round->surplus, lease.shard) != round->surplus.end()) {
      // Beyond the fair share: kept from the engine, handed back a round later once nothing runs there.
      held_[i].store(false);
      scanned_epoch_[i] = kNotScanned;
      if (++withheld_rounds_[i] > 1 && work_.InFlightOn({lease.shard}) == 0) drained.push_back(lease.shard);
      continue;
    }
    withheld_rounds_[i] = 0;
    running.push_back(lease);
    held_[i].store(true);
    if (scanned_epoch_[i] != lease.epoch) taken.push_back(lease.shard);
  }
  for (size_t i = 0; i < held_.size(); ++i) {
    if (!in_round[i]) {
      held_[i].store(false);
      scanned_epoch_[i] = kNotScanned;
      withheld_rounds_[i] = 0;
    }
  }
  // The engine learns of the shards before they are read, so nothing read is dropped as another process's.
  work_.SetLeases(running);
  if (metrics_) metrics_->LeaseRound(true, static_cast<int64_t>(running.size()));
  if (running.size() != reported_held_) {
    LogInfo("shard leases",
            {{"held", std::to_string(running.size())}, {"live_workers", std::to_string(round->live_workers)}});
    reported_held_ = running.size();
  }

  const int64_t now_ms = clock_.SteadyMs();
  const bool full = rescan_all_.exchange(false) ||
                    (distribution_.MayLoseAnnouncements() && now_ms - last_full_scan_ms_ >= kFullScanIntervalMs);
  if (full) {
    taken.clear();
    for (const ShardLease& lease : running) taken.push_back(lease.shard);
    last_full_scan_ms_ = now_ms;
  }
  if (!taken.empty() && Scan(taken)) {
    for (const ShardLease& lease : running) {
      if (std::ranges::find(taken, lease.shard) != taken.end()) {
        scanned_epoch_[static_cast<size_t>(lease.shard)] = lease.epoch;
      }
    }
  }

  if (!drained.empty()) {
    if (auto st = distribution_.Release(drained); st) {
      for (int shard : drained) withheld_rounds_[static_cast<size_t>(shard)] = 0;
    }
  }

  std::vector<std::string> in_flight = work_.InFlightDeliveryIds();
  std::ranges::sort(in_flight);
  if (in_flight != published_in_flight_ && distribution_.PublishInFlight(in_flight)) {
    published_in_flight_ = std::move(in_flight);
  }
}

bool LeaseKeeper::Scan(const std::vector<int>& shards) {
  const uint64_t token = work_.BeginRead();
  std::vector<DueDelivery> batch;
  size_t found = 0;
  Status st = distribution_.ScanShards(shards, [&](const DueDelivery& d) {
    batch.push_back(d);
    ++found;
    if (batch.size() >= kScanBatch) work_.EnqueueRead(token, std::exchange(batch, {}));
    return !stopping_.load();  // a long read of a large backlog ends with the process
  });
  if (!batch.empty()) work_.EnqueueRead(token, std::move(batch));
  work_.EndRead(token);
  if (!st) {
    LogWarn("reading the deliveries of taken shards failed; trying again next round", {{"error", st.error().message}});
    return false;
  }
  if (found > 0) {
    LogInfo("resumed deliveries of taken shards",
            {{"shards", std::to_string(shards.size())}, {"deliveries", std::to_string(found)}});
  }
  return true;
}

}  // namespace hookd
