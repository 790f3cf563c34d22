// Sending one request right away, outside the scheduler and its rate limits: the API's test sends and reachability
// pings. The engine implements it on its transport, so these requests pass the same SSRF guard as deliveries.
// Thread-safe; SendNow never blocks (its future does).
#pragma once

#include <future>

#include "delivery/transport.h"

namespace hookd {

class OutboundSender {
 public:
  virtual ~OutboundSender() = default;
  [[nodiscard]] virtual std::future<OutboundResponse> SendNow(OutboundRequest request) = 0;
};

}  // namespace hookd
