// Everything the API needs besides its store, as fakes: a clock the test moves, an engine that records the work
// it is handed, a sender that answers every test send and ping with `send_status` at once (or with no response when
// it is 0), and an in-flight lookup that answers from `in_flight`. Not thread-safe.
#pragma once

#include <future>
#include <set>
#include <string>

#include "api/api.h"
#include "fakes/fake_clock.h"
#include "fakes/recording_delivery_work.h"

namespace hookd::testing {

class FakeOutboundSender final : public OutboundSender {
 public:
  std::future<OutboundResponse> SendNow(OutboundRequest request) override {
    sent.push_back(std::move(request));
    OutboundResponse r;
    if (status != 0) {
      r.status = status;
    } else {
      r.error = "connection_refused";
    }
    std::promise<OutboundResponse> answer;
    answer.set_value(std::move(r));
    return answer.get_future();
  }
  int status = 204;
  std::vector<OutboundRequest> sent;
};

class FakeInFlight final : public InFlightLookup {
 public:
  bool IsInFlight(const std::string& delivery_id) const override { return ids.contains(delivery_id); }
  std::set<std::string> ids;
};

struct FakeApiPorts {
  ApiPorts Ports() { return ApiPorts{work, sender, in_flight, catalog, metrics, clock}; }

  FakeClock clock;
  RecordingDeliveryWork work;
  FakeOutboundSender sender;
  FakeInFlight in_flight;
  EventCatalog catalog;
  Metrics metrics;
};

}  // namespace hookd::testing
