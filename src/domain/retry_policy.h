// The retry schedule (SPEC §4): attempts = 1 + number of delays; each retry waits its delay ±10 % jitter;
// a Retry-After on 429/502/503/504 stretches the wait, clamped to [delay, 2 × delay]; and what one attempt's
// response means for its delivery. Pure: randomness is passed in as a number in [0, 1).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/model.h"

namespace hookd {

class RetryPolicy {
 public:
  explicit RetryPolicy(std::vector<int64_t> delays_ms) : delays_ms_(std::move(delays_ms)) {}

  [[nodiscard]] int MaxAttempts() const { return static_cast<int>(delays_ms_.size()) + 1; }

  // The wait before the next attempt after attempt `attempts_made` failed, or nullopt when it was the last.
  // `unit_random` in [0, 1) picks the jitter; `retry_after_ms` is the response's Retry-After, if any applies.
  [[nodiscard]] std::optional<int64_t> NextDelayMs(int attempts_made, double unit_random,
                                                   std::optional<int64_t> retry_after_ms = std::nullopt) const;

 private:
  std::vector<int64_t> delays_ms_;
};

// Whether a response status's Retry-After header is honoured (429, 502, 503, 504).
[[nodiscard]] bool HonoursRetryAfter(int status);

// What an attempt's response means for its delivery.
struct AttemptVerdict {
  DeliveryStatus status = DeliveryStatus::kFailed;  // succeeded, failed (to be retried) or dead
  std::optional<int64_t> next_attempt_at_ms;        // when failed: the retry
  bool gone = false;  // the receiver answered 410 Gone: the delivery is dead and its webhook disabled
};

// The verdict on the `attempt_number`th attempt of a delivery, answered at `now_ms` with `status` (none when no
// response came) and a Retry-After of `retry_after_ms` (parsed; honoured only on the statuses above): 2xx
// succeeded; 410 dead and gone; otherwise failed and retried after the schedule's next delay, or dead after the
// last attempt. `unit_random` in [0, 1) picks the jitter.
[[nodiscard]] AttemptVerdict DecideOutcome(std::optional<int> status, std::optional<int64_t> retry_after_ms,
                                           int attempt_number, const RetryPolicy& policy, double unit_random,
                                           int64_t now_ms);

}  // namespace hookd
