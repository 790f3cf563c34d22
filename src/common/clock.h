// Time as hookd's rules see it: wall-clock milliseconds since the Unix epoch (stored times, retry schedules,
// expiries) and a monotonic reading for spans that must not jump with the wall clock (lease deadlines, cache ages).
// Code outside common/ takes a Clock rather than asking the system, so its rules run under a clock a test moves by
// hand (tests/unit/fakes/fake_clock.h). Thread-safe.
//
//   const Clock& clock = SystemTime();
//   const int64_t expires = clock.NowMs() + ttl_ms;
#pragma once

#include <cstdint>

namespace hookd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  [[nodiscard]] virtual int64_t NowMs() const = 0;
  // Milliseconds on a clock that only moves forward, from an arbitrary start.
  [[nodiscard]] virtual int64_t SteadyMs() const = 0;
};

// The system's clocks.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowMs() const override;
  [[nodiscard]] int64_t SteadyMs() const override;
};

// The process's system clock, for the wiring to hand out.
[[nodiscard]] const Clock& SystemTime();

}  // namespace hookd
