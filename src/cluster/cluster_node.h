// How a process takes part in dividing the work with the others sharing its database (SPEC §6) — or, on its own,
// with none: as a process that delivers, the lease keeper that decides which shards its engine runs (and resumes
// their unfinished deliveries); in every role, the notice listener that wakes the engine for announced work and
// passes every announced change to `on_change`, so each cache (webhook settings, credentials, catalog) follows the
// other processes' changes.
//
// Start before serving (its first lease round resumes the shards' deliveries); destroy after the engine has stopped
// (it hands the shards back).
#pragma once

#include <functional>
#include <memory>

#include "cluster/lease_keeper.h"
#include "cluster/notice_listener.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "delivery/delivery_work.h"
#include "store/work_distribution.h"

namespace hookd {

struct ClusterOptions {
  bool delivers = true;  // runs deliveries (--role all or worker)
  int64_t lease_duration_ms = 15'000;
  Metrics* metrics = nullptr;  // lease rounds and shards held, when set
  // An announced change (another process's, or this one's own echo): drop what is cached of it.
  std::function<void(const ChangeNotice&)> on_change;
  // Announcements were missed: drop every cache.
  std::function<void()> on_missed;
};

class ClusterNode {
 public:
  ClusterNode(WorkDistribution& distribution, DeliveryWork& engine, const Clock& clock, ClusterOptions options);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  void Start();
  // Stops waking the engine (before it stops); the leases stay until destruction.
  void StopListening() { listener_.reset(); }

 private:
  WorkDistribution& distribution_;
  DeliveryWork& engine_;
  ClusterOptions options_;
  std::unique_ptr<LeaseKeeper> keeper_;  // processes that deliver
  std::unique_ptr<NoticeListener> listener_;
};

}  // namespace hookd
