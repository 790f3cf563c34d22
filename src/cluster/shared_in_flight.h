// Which deliveries have an attempt in flight on any worker (SPEC §6: `delivering` is the same from every
// process). Workers publish theirs every lease round (cluster/lease_keeper.h); this reads them all, at most every
// quarter second however many requests ask. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <unordered_set>

#include "common/mutex.h"
#include "store/postgres/pool.h"

namespace hookd {

class SharedInFlight {
 public:
  SharedInFlight(postgres::Pool& pool, std::chrono::milliseconds lease_duration)
      : pool_(pool), lease_duration_(lease_duration) {}

  [[nodiscard]] bool Contains(const std::string& delivery_id);

 private:
  postgres::Pool& pool_;
  const std::chrono::milliseconds lease_duration_;
  Mutex mu_;
  std::unordered_set<std::string> ids_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point read_at_ GUARDED_BY(mu_);
};

}  // namespace hookd
