// One process that owns its database is a cluster of one: it holds every shard, always, under epoch 0 (which no
// write is fenced by), has no one to hand shards to or hear from, and shows `delivering` from its own engine. The
// first lease round therefore "takes" every shard, and the keeper reads every unfinished delivery once: that is how
// a restarted process resumes. Used for SQLite. Thread-safe.
#pragma once

#include "common/mutex.h"
#include "store/store.h"
#include "store/work_distribution.h"

namespace hookd {

class LocalWorkDistribution final : public WorkDistribution {
 public:
  explicit LocalWorkDistribution(Store& store) : store_(store) {}
  ~LocalWorkDistribution() override;

  // What every round holds: each shard at epoch 0, never expiring, never taken over.
  [[nodiscard]] static LeaseRound EveryShard();

  [[nodiscard]] Result<LeaseRound> Round() override;
  [[nodiscard]] Status Release(const std::vector<int>& shards) override;
  [[nodiscard]] Status ReleaseAll() override;
  [[nodiscard]] Status PublishInFlight(const std::vector<std::string>& delivery_ids) override;
  [[nodiscard]] bool MayLoseAnnouncements() const override { return false; }
  [[nodiscard]] Result<std::vector<std::string>> InFlightEverywhere() override;
  [[nodiscard]] Status ScanShards(const std::vector<int>& shards,
                                  const std::function<bool(const DueDelivery&)>& visit) override;
  // Nothing is ever announced: waits out the timeout (or until the distribution goes).
  [[nodiscard]] Result<Notices> WaitForNotices(int timeout_ms) override;
  [[nodiscard]] Result<std::vector<DueDelivery>> ReadAnnounced(const std::vector<std::string>& delivery_ids) override;

 private:
  Store& store_;
  Mutex mu_;
  CondVar closing_cv_{&mu_};
  bool closing_ GUARDED_BY(mu_) = false;
};

}  // namespace hookd
