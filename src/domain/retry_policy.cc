// Jitter is symmetric around the scheduled delay; Retry-After replaces the jittered delay when it is larger.
// A verdict is decided from the status alone, then the schedule.
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

bool HonoursRetryAfter(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

AttemptVerdict DecideOutcome(std::optional<int> status, std::optional<int64_t> retry_after_ms, int attempt_number,
                             const RetryPolicy& policy, double unit_random, int64_t now_ms) {
  if (status && *status >= 200 && *status < 300) return AttemptVerdict{DeliveryStatus::kSucceeded, std::nullopt, false};
  if (status == 410) return AttemptVerdict{DeliveryStatus::kDead, std::nullopt, true};
  if (!status || !HonoursRetryAfter(*status)) retry_after_ms.reset();
  if (auto delay = policy.NextDelayMs(attempt_number, unit_random, retry_after_ms)) {
    return AttemptVerdict{DeliveryStatus::kFailed, now_ms + *delay, false};
  }
  return AttemptVerdict{DeliveryStatus::kDead, std::nullopt, false};
}

}  // namespace hookd
