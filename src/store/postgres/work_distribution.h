// How hookd processes sharing one PostgreSQL divide the work (SPEC §6): shard leases with fencing epochs
// (store/postgres/shard_leases.h), the `delivering` each worker publishes, reads of the shards a worker takes, and
// the notices processes send each other (store/postgres/notices.h), heard on a connection of the listener's own.
// Notices about webhooks and accounts also make this process's event matching read its webhooks again.
//
// Thread-safety: as WorkDistribution — lease calls on the keeper's thread, notices and ReadAnnounced on the
// listener's, the rest from any.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/postgres/backend.h"
#include "store/postgres/shard_leases.h"
#include "store/work_distribution.h"

namespace hookd::postgres {

class PostgresWorkDistribution final : public WorkDistribution {
 public:
  PostgresWorkDistribution(std::shared_ptr<Backend> backend, const WorkerIdentity& worker, const Clock& clock);

  [[nodiscard]] Result<LeaseRound> Round() override { return leases_.Round(); }
  [[nodiscard]] Status Release(const std::vector<int>& shards) override { return leases_.Release(shards); }
  [[nodiscard]] Status ReleaseAll() override { return leases_.ReleaseAll(); }
  [[nodiscard]] Status PublishInFlight(const std::vector<std::string>& delivery_ids) override {
    return leases_.PublishInFlight(delivery_ids);
  }
  // A notice sent while the listener's connection was being re-established is lost without a trace.
  [[nodiscard]] bool MayLoseAnnouncements() const override { return true; }
  [[nodiscard]] Result<std::vector<std::string>> InFlightEverywhere() override;
  [[nodiscard]] Status ScanShards(const std::vector<int>& shards,
                                  const std::function<bool(const DueDelivery&)>& visit) override;
  [[nodiscard]] Result<Notices> WaitForNotices(int timeout_ms) override;
  [[nodiscard]] Result<std::vector<DueDelivery>> ReadAnnounced(const std::vector<std::string>& delivery_ids) override;

 private:
  // Connects and LISTENs (work notices only for a process that delivers); pauses briefly when it cannot.
  [[nodiscard]] Status Listen();

  std::shared_ptr<Backend> backend_;
  const bool delivers_;
  const std::chrono::milliseconds lease_duration_;
  ShardLeases leases_;  // the keeper's thread
  // The listener's thread.
  std::unique_ptr<Connection> listening_;
  bool listened_before_ = false;
};

}  // namespace hookd::postgres
