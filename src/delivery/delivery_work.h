// The one way work reaches the delivery engine, and what the processes' coordination needs of it. The API calls it
// after each commit (new events, replays, manual retries, webhook changes); the lease keeper (cluster/) tells it which
// shards it runs and hands it the unfinished deliveries of shards it takes, and the notice listener what other
// processes announce. Thread-safe; no call blocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/sharding.h"
#include "store/store.h"

namespace hookd {

class DeliveryWork {
 public:
  virtual ~DeliveryWork() = default;
  // Freshly committed deliveries of accepted events, due at once.
  virtual void Enqueue(const std::vector<AcceptedEvent>& accepted) = 0;
  // Committed deliveries (replays, manual and bulk retries), due at their next_attempt_at.
  virtual void EnqueueDeliveries(const std::vector<Delivery>& deliveries) = 0;
  // A webhook was created, changed or deleted: its settings are read again, its deliveries released or dropped.
  virtual void OnWebhookChanged(const std::string& webhook_id) = 0;
  // Every webhook's settings are read again (changes may have gone unannounced).
  virtual void OnAllWebhooksChanged() = 0;

  // Deliveries read from the store. A read races with the engine's own recording (an attempt may finish, and its
  // outcome commit, after the read saw the delivery unfinished), so: take a token with BeginRead before reading, and
  // pass it with what was read (in as many parts as it takes); a delivery whose outcome the engine recorded since
  // the token is left alone. EndRead closes the token, which every BeginRead needs, whatever the read found.
  [[nodiscard]] virtual uint64_t BeginRead() = 0;
  virtual void EnqueueRead(uint64_t token, std::vector<DueDelivery> deliveries) = 0;
  virtual void EndRead(uint64_t token) = 0;

  // The shards this process runs now (every one, renewed or new). A delivery of any other shard is not taken on;
  // shards missing from `held` are given up at once: nothing more starts there and their waiting deliveries are
  // forgotten (their next owner resumes them).
  virtual void SetLeases(std::vector<ShardLease> held) = 0;
  // Attempts in flight on `shards` (a shard is handed back only once none are).
  [[nodiscard]] virtual int InFlightOn(const std::vector<int>& shards) const = 0;
  // The ids of the deliveries with an attempt in flight.
  [[nodiscard]] virtual std::vector<std::string> InFlightDeliveryIds() const = 0;
};

}  // namespace hookd
