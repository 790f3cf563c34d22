// The one way work reaches the delivery engine. In one process the API calls it after each commit (new events,
// replays, manual retries, webhook changes); with many processes sharing PostgreSQL (SPEC §6), a worker also reads
// deliveries from the database — those of the shards it has just taken, and those a notice announced — and hands
// them over with EnqueueRead. Thread-safe; no call blocks.
#pragma once

#include <string>
#include <vector>

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
  // Deliveries read from the store. A read races with the engine's own recording (an attempt may finish, and its
  // outcome commit, after the read saw the delivery unfinished), so: take a token with BeginRead before reading, and
  // pass it with what was read (in as many parts as it takes); a delivery whose outcome the engine recorded since
  // the token is left alone. EndRead closes the token, which every BeginRead needs, whatever the read found.
  [[nodiscard]] virtual uint64_t BeginRead() = 0;
  virtual void EnqueueRead(uint64_t token, std::vector<DueDelivery> deliveries) = 0;
  virtual void EndRead(uint64_t token) = 0;
};

}  // namespace hookd
