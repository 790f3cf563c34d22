// Every shard at epoch 0, forever; resumption is one read of every unfinished delivery.
#include "store/local_work_distribution.h"

#include <bitset>
#include <chrono>
#include <limits>

#include "common/thread_annotations.h"

namespace hookd {

LocalWorkDistribution::~LocalWorkDistribution() {
  MutexLock lock(&mu_);
  closing_ = true;
  closing_cv_.SignalAll();
}

Result<LeaseRound> LocalWorkDistribution::Round() {
  return EveryShard();
}

LeaseRound LocalWorkDistribution::EveryShard() {
  LeaseRound round;
  round.held.reserve(kShardCount);
  for (int shard = 0; shard < kShardCount; ++shard) {
    round.held.push_back(ShardLease{shard, 0, std::numeric_limits<int64_t>::max(), false});
  }
  return round;
}

Status LocalWorkDistribution::Release(const std::vector<int>&) {
  return Ok();
}

Status LocalWorkDistribution::ReleaseAll() {
  return Ok();
}

Status LocalWorkDistribution::PublishInFlight(const std::vector<std::string>&) {
  return Ok();
}

Result<std::vector<std::string>> LocalWorkDistribution::InFlightEverywhere() {
  return std::vector<std::string>{};  // no other process: the engine answers for its own
}

Status LocalWorkDistribution::ScanShards(const std::vector<int>& shards,
                                         const std::function<bool(const DueDelivery&)>& visit) {
  std::bitset<kShardCount> wanted;
  for (int shard : shards) wanted.set(static_cast<size_t>(shard));
  return store_.ForEachUnfinishedDelivery(
      [&](const DueDelivery& d) { return !wanted.test(static_cast<size_t>(ShardOf(d.webhook_id))) || visit(d); });
}

Result<Notices> LocalWorkDistribution::WaitForNotices(int timeout_ms) {
  MutexLock lock(&mu_);
  closing_cv_.WaitFor(std::chrono::milliseconds(timeout_ms), [this]() NO_THREAD_SAFETY_ANALYSIS { return closing_; });
  return Notices{};
}

Result<std::vector<DueDelivery>> LocalWorkDistribution::ReadAnnounced(const std::vector<std::string>&) {
  return std::vector<DueDelivery>{};
}

}  // namespace hookd
