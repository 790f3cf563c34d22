// Jitter is symmetric around the scheduled delay; Retry-After replaces the jittered delay when it is larger.
#include "domain/retry_policy.h"

#include <algorithm>

namespace hookd {

std::optional<int64_t> RetryPolicy::NextDelayMs(int attempts_made, double unit_random,
                                                std::optional<int64_t> retry_after_ms) const {
  if (attempts_made < 1 || attempts_made > static_cast<int>(delays_ms_.size())) return std::nullopt;
  const int64_t base = delays_ms_[static_cast<size_t>(attempts_made - 1)];
  const double jitter = (unit_random * 2.0 - 1.0) * 0.10;  // [-10 %, +10 %)
  const int64_t jittered = std::max<int64_t>(0, base + static_cast<int64_t>(static_cast<double>(base) * jitter));
  if (retry_after_ms) return std::clamp(*retry_after_ms, base, 2 * base);
  return jittered;
}

bool HonoursRetryAfter(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

}  // namespace hookd
