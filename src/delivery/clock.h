// The engine's source of time, so its rules (retry schedule, Retry-After, rate limit, circuit cooldown) can be
// tested with a clock a test moves by hand. Thread-safe.
#pragma once

#include <cstdint>

#include "common/time_util.h"

namespace hookd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  [[nodiscard]] virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMs() const override { return hookd::NowMs(); }
};

}  // namespace hookd
