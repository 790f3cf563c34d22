// A cached union of the live processes' published attempts in flight, refreshed by one caller at a time.
#include "cluster/shared_in_flight.h"

namespace hookd {
namespace {

constexpr int64_t kMaxAgeMs = 250;

}  // namespace

bool SharedInFlight::IsInFlight(const std::string& delivery_id) const {
  if (own_.IsInFlight(delivery_id)) return true;
  const int64_t now = clock_.SteadyMs();
  {
    MutexLock lock(&mu_);
    if (reading_ || (read_at_ms_ && now - *read_at_ms_ < kMaxAgeMs)) return published_.contains(delivery_id);
    reading_ = true;
  }
  auto ids = distribution_.InFlightEverywhere();
  MutexLock lock(&mu_);
  reading_ = false;
  if (ids) {  // on a failed read the last answer stands; a later request tries again
    published_ = std::unordered_set<std::string>(ids->begin(), ids->end());
    read_at_ms_ = now;
  }
  return published_.contains(delivery_id);
}

}  // namespace hookd
