// Whether a delivery has an attempt in flight, which the API reports as status `delivering` (SPEC §3). The engine
// answers for its own attempts; cluster/shared_in_flight.h adds those of every other process. Thread-safe.
#pragma once

#include <string>

namespace hookd {

class InFlightLookup {
 public:
  virtual ~InFlightLookup() = default;
  [[nodiscard]] virtual bool IsInFlight(const std::string& delivery_id) const = 0;
};

}  // namespace hookd
