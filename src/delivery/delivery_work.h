// The one way work reaches the delivery engine. In one process the API calls it after each commit (new events,
// replays, manual retries, webhook changes); with many processes sharing PostgreSQL, what a worker claims from
// the database comes in through the same calls. Thread-safe; no call blocks.
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
};

}  // namespace hookd
