// How the processes that share one database divide the work (SPEC §6), seen from one of them: which shards it
// holds and under which fencing epoch, what it holds beyond its share, which of its deliveries are in flight, what
// the others announce (due deliveries, changed webhooks, accounts, keys, event types), and the reads those call for.
// One process on its own is a cluster of one (LocalWorkDistribution: every shard, epoch 0, no one else to hear
// from); processes sharing PostgreSQL use shard leases and LISTEN/NOTIFY (postgres::PostgresWorkDistribution).
// The lease keeper (cluster/lease_keeper.h) and the notice listener (cluster/notice_listener.h) are written against
// this port alone.
//
// Thread-safety: the lease calls come from one thread (the keeper's), the notice calls and ReadAnnounced from one
// other (the listener's); InFlightEverywhere and ScanShards from any. Every call may block on I/O.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "domain/sharding.h"
#include "store/store.h"

namespace hookd {

// The leases after one round.
struct LeaseRound {
  std::vector<ShardLease> held;  // ascending by shard
  std::vector<int> surplus;      // held shards beyond the fair share: start nothing more there, then Release
  int live_workers = 1;
};

// A delivery another process announced as due, with its webhook's shard.
struct DueNotice {
  int shard = 0;
  std::string delivery_id;
};

// Something another process changed, whose cached copies every process drops.
enum class ChangeKind { kWebhook, kAccount, kApiKeys, kEventTypes };
struct ChangeNotice {
  ChangeKind kind = ChangeKind::kWebhook;
  std::string id;  // the webhook's or account's id
};

// What arrived while waiting for notices.
struct Notices {
  // The channel was lost and is back: whatever was announced meanwhile is gone, so every cache must be dropped and
  // every held shard read again.
  bool missed_some = false;
  std::vector<ChangeNotice> changes;
  std::vector<DueNotice> due;  // announced by other processes (this process hands its own work over directly)
};

class WorkDistribution {
 public:
  virtual ~WorkDistribution() = default;

  // ---- leases (the keeper's thread) ----
  // One round: heartbeat, renewal of what is held, taking free shards up to the fair share.
  [[nodiscard]] virtual Result<LeaseRound> Round() = 0;
  // Gives shards back (their attempts have finished), so others may take them at once.
  [[nodiscard]] virtual Status Release(const std::vector<int>& shards) = 0;
  // Gives every shard back and leaves (on shutdown).
  [[nodiscard]] virtual Status ReleaseAll() = 0;
  // Records the deliveries this process has attempts in flight for, so that every process shows them `delivering`.
  [[nodiscard]] virtual Status PublishInFlight(const std::vector<std::string>& delivery_ids) = 0;
  // Whether an announcement can be lost without Notices::missed_some saying so; then every held shard is read again
  // now and then, so a lost one delays a delivery but never loses it.
  [[nodiscard]] virtual bool MayLoseAnnouncements() const = 0;

  // ---- reads (any thread) ----
  // The deliveries every live process has published as in flight.
  [[nodiscard]] virtual Result<std::vector<std::string>> InFlightEverywhere() = 0;
  // Every unfinished delivery of the webhooks in `shards` (for a process that has just taken them), until `visit`
  // returns false.
  [[nodiscard]] virtual Status ScanShards(const std::vector<int>& shards,
                                          const std::function<bool(const DueDelivery&)>& visit) = 0;

  // ---- notices (the listener's thread) ----
  // Waits up to `timeout_ms` for what other processes announce. Fails (Unavailable) while they cannot be heard; the
  // next call tries again, and its Notices say `missed_some` once they can.
  [[nodiscard]] virtual Result<Notices> WaitForNotices(int timeout_ms) = 0;
  // Those of `delivery_ids` (announced as due) that are still unfinished, with their events.
  [[nodiscard]] virtual Result<std::vector<DueDelivery>> ReadAnnounced(
      const std::vector<std::string>& delivery_ids) = 0;
};

}  // namespace hookd
