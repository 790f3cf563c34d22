// One round: leases, then the engine's view of them, then reads of newly taken shards, releases, publication.
#include "cluster/lease_keeper.h"

#include <algorithm>

#include "common/log.h"
#include "common/time_util.h"

namespace hookd {
namespace {

constexpr auto kMaxRoundInterval = std::chrono::milliseconds(1000);
constexpr auto kFullScanInterval = std::chrono::minutes(5);
constexpr size_t kScanBatch = 5000;

}  // namespace

LeaseKeeper::LeaseKeeper(postgres::PostgresStore& store, DeliveryEngine& engine, std::string worker_name,
                         std::chrono::milliseconds lease_duration)
    : store_(store),
      engine_(engine),
      leases_(store.pool(), std::move(worker_name), lease_duration),
      round_interval_(std::min<std::chrono::milliseconds>(kMaxRoundInterval, lease_duration / 4)) {}

LeaseKeeper::~LeaseKeeper() { Stop(); }

void LeaseKeeper::Start() {
  Round();
  rounds_ = std::make_unique<PeriodicTask>("hookd-leases", round_interval_, [this](PeriodicTask&) { Round(); });
}

void LeaseKeeper::Stop() {
  if (!rounds_) return;
  stopping_.store(true);
  rounds_.reset();
  for (auto& held : held_) held.store(false);
  if (auto st = leases_.ReleaseAll(); !st) {
    LogWarn("could not hand back shard leases; they pass to other workers when they expire",
            {{"error", st.error().message}});
  }
}

void LeaseKeeper::Round() {
  auto round = leases_.Round();
  if (!round) {
    // The engine keeps running until each lease's own deadline, then starts nothing more there.
    if (!reported_failure_) LogWarn("shard lease round failed", {{"error", round.error().message}});
    reported_failure_ = true;
    return;
  }
  reported_failure_ = false;
  const auto steady_now = std::chrono::steady_clock::now();
  const int64_t now_ms = NowMs();

  std::vector<HeldShard> running;
  std::vector<int> taken;
  std::vector<int> drained;
  for (const auto& [shard, lease] : round->held) {
    const auto i = static_cast<size_t>(shard);
    if (std::ranges::find(round->surplus, shard) != round->surplus.end()) {
      // Beyond the fair share: kept from the engine, handed back a round later once nothing runs there.
      held_[i].store(false);
      scanned_epoch_[i] = 0;
      if (++withheld_rounds_[i] > 1 && engine_.InFlightOn({shard}) == 0) drained.push_back(shard);
      continue;
    }
    withheld_rounds_[i] = 0;
    const int64_t left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(lease.expires - steady_now).count();
    running.push_back(HeldShard{shard, lease.epoch, now_ms + left_ms});
    held_[i].store(true);
    if (scanned_epoch_[i] != lease.epoch) taken.push_back(shard);
  }
  for (size_t i = 0; i < held_.size(); ++i) {
    if (!round->held.contains(static_cast<int>(i))) {
      held_[i].store(false);
      scanned_epoch_[i] = 0;
      withheld_rounds_[i] = 0;
    }
  }
  // The engine learns of the shards before they are read, so nothing read is dropped as another worker's.
  engine_.SetLeases(running);
  if (running.size() != reported_held_) {
    LogInfo("shard leases", {{"held", std::to_string(running.size())},
                             {"live_workers", std::to_string(round->live_workers)}});
    reported_held_ = running.size();
  }

  const bool full = rescan_all_.exchange(false) || steady_now - last_full_scan_ >= kFullScanInterval;
  if (full) {
    taken.clear();
    for (const HeldShard& h : running) taken.push_back(h.shard);
    last_full_scan_ = steady_now;
  }
  if (!taken.empty() && Scan(taken)) {
    for (const HeldShard& h : running) {
      if (std::ranges::find(taken, h.shard) != taken.end()) scanned_epoch_[static_cast<size_t>(h.shard)] = h.epoch;
    }
  }

  if (!drained.empty()) {
    if (auto st = leases_.Release(drained); st) {
      for (int shard : drained) withheld_rounds_[static_cast<size_t>(shard)] = 0;
    }
  }

  std::vector<std::string> in_flight = engine_.InFlightDeliveryIds();
  std::ranges::sort(in_flight);
  if (in_flight != published_in_flight_ && leases_.PublishInFlight(in_flight)) {
    published_in_flight_ = std::move(in_flight);
  }
}

bool LeaseKeeper::Scan(const std::vector<int>& shards) {
  const uint64_t token = engine_.BeginRead();
  std::vector<DueDelivery> batch;
  size_t found = 0;
  Status st = store_.ForEachUnfinishedDeliveryInShards(shards, [&](const DueDelivery& d) {
    batch.push_back(d);
    ++found;
    if (batch.size() >= kScanBatch) engine_.EnqueueRead(token, std::exchange(batch, {}));
    return !stopping_.load();  // a long read of a large backlog ends with the process
  });
  if (!batch.empty()) engine_.EnqueueRead(token, std::move(batch));
  engine_.EndRead(token);
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
