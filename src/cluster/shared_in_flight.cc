// A cached union of the live workers' published attempts in flight.
#include "cluster/shared_in_flight.h"

#include "store/postgres/shard_leases.h"

namespace hookd {
namespace {

constexpr auto kMaxAge = std::chrono::milliseconds(250);

}  // namespace

bool SharedInFlight::Contains(const std::string& delivery_id) {
  MutexLock lock(&mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - read_at_ >= kMaxAge) {
    // On a failed read the last answer stands; the next request tries again.
    if (auto ids = postgres::DeliveriesInFlight(pool_, lease_duration_)) {
      ids_ = std::unordered_set<std::string>(ids->begin(), ids->end());
      read_at_ = now;
    }
  }
  return ids_.contains(delivery_id);
}

}  // namespace hookd
