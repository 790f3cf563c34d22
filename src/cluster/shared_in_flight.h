// Which deliveries have an attempt in flight anywhere (SPEC §6: `delivering` is the same from every process): this
// process's engine, and what every live process published (cluster/lease_keeper.h), read at most every quarter
// second however many requests ask, and never while holding the lock the requests wait on. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <unordered_set>

#include "common/clock.h"
#include "common/mutex.h"
#include "delivery/in_flight_lookup.h"
#include "store/work_distribution.h"

namespace hookd {

class SharedInFlight final : public InFlightLookup {
 public:
  SharedInFlight(const InFlightLookup& own, WorkDistribution& distribution, const Clock& clock)
      : own_(own), distribution_(distribution), clock_(clock) {}

  [[nodiscard]] bool IsInFlight(const std::string& delivery_id) const override;

 private:
  const InFlightLookup& own_;
  WorkDistribution& distribution_;
  const Clock& clock_;
  mutable Mutex mu_;
  mutable std::unordered_set<std::string> published_ GUARDED_BY(mu_);
  mutable std::optional<int64_t> read_at_ms_ GUARDED_BY(mu_);  // steady; none yet
  mutable bool reading_ GUARDED_BY(mu_) = false;               // one request reads; the others take the last answer
};

}  // namespace hookd
