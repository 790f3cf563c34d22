// Process-wide counters exported at /metrics in the Prometheus text format. Lock-free; any thread may bump them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace hookd {

struct Metrics {
  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> deliveries_created{0};
  std::atomic<uint64_t> attempts_started{0};
  std::atomic<uint64_t> attempts_succeeded{0};
  std::atomic<uint64_t> attempts_failed{0};
  std::atomic<uint64_t> deliveries_succeeded{0};
  std::atomic<uint64_t> deliveries_dead{0};
  std::atomic<int64_t> deliveries_queued{0};     // gauge: waiting in the scheduler
  std::atomic<int64_t> attempts_in_flight{0};    // gauge

  [[nodiscard]] std::string RenderPrometheus() const;
};

}  // namespace hookd
