// API rate limiting per credential (SPEC §3): a token bucket per credential at N requests/second with a burst of
// one second's worth. Reports the X-RateLimit-* values for every response. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/mutex.h"
#include "domain/token_bucket.h"

namespace hookd {

struct RateLimitDecision {
  bool allowed = true;
  int limit = 0;
  int remaining = 0;
  int64_t reset_s = 0;        // seconds until the bucket is full
  int64_t retry_after_s = 0;  // when refused: seconds until a request would pass
};

class ApiRateLimiter {
 public:
  explicit ApiRateLimiter(int per_second) : per_second_(per_second) {}

  [[nodiscard]] bool Enabled() const { return per_second_ > 0; }
  [[nodiscard]] RateLimitDecision Check(const std::string& credential, int64_t now_ms);

 private:
  int per_second_;
  Mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_ GUARDED_BY(mu_);
};

}  // namespace hookd
