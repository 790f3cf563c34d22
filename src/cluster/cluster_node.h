// What a process adds when it shares one PostgreSQL with other hookd processes (SPEC §6): as a worker, the lease
// keeper that decides which shards its engine runs; in every role, the notice listener that wakes the engine for
// announced work and keeps every cache (event matching, webhook settings, credentials, catalog) in step with the
// other processes' changes; and, for the API, `delivering` as every worker sees it.
//
// Start once the engine and the API exist; destroy after the engine has stopped (it hands the shards back).
#pragma once

#include <memory>

#include "api/api.h"
#include "cluster/lease_keeper.h"
#include "cluster/notice_listener.h"
#include "cluster/shared_in_flight.h"
#include "common/config.h"
#include "delivery/engine.h"
#include "domain/catalog.h"
#include "store/postgres/postgres_store.h"

namespace hookd {

class ClusterNode {
 public:
  // `worker_name` names this process's worker across restarts (cli/key_files.h).
  ClusterNode(const Config& config, std::string worker_name, postgres::PostgresStore& store, DeliveryEngine& engine,
              Api& api, EventCatalog& catalog);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  void Start();
  // Stops waking the engine (before it stops); the leases stay until destruction.
  void StopListening() { listener_.reset(); }

 private:
  void OnChange(const postgres::ChangeNotice& change);
  void OnReconnect();

  postgres::PostgresStore& store_;
  DeliveryEngine& engine_;
  Api& api_;
  EventCatalog& catalog_;
  SharedInFlight shared_in_flight_;
  std::unique_ptr<LeaseKeeper> keeper_;  // workers only
  std::unique_ptr<NoticeListener> listener_;
};

}  // namespace hookd
