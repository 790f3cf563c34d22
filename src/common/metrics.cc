// Prometheus exposition format, version 0.0.4.
#include "common/metrics.h"

namespace hookd {
namespace {

void Emit(std::string& out, const char* name, const char* type, const char* help, int64_t value) {
  out += "# HELP ";
  out += name;
  out += " ";
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " ";
  out += type;
  out += "\n";
  out += name;
  out += " " + std::to_string(value) + "\n";
}

}  // namespace

std::string Metrics::RenderPrometheus() const {
  std::string out;
  auto c = [](const std::atomic<uint64_t>& v) { return static_cast<int64_t>(v.load(std::memory_order_relaxed)); };
  Emit(out, "hookd_http_requests_total", "counter", "API requests served", c(http_requests));
  Emit(out, "hookd_events_accepted_total", "counter", "Events accepted (202)", c(events_accepted));
  Emit(out, "hookd_deliveries_created_total", "counter", "Deliveries created", c(deliveries_created));
  Emit(out, "hookd_attempts_total", "counter", "Delivery attempts started", c(attempts_started));
  Emit(out, "hookd_attempts_succeeded_total", "counter", "Attempts answered with 2xx", c(attempts_succeeded));
  Emit(out, "hookd_attempts_failed_total", "counter", "Attempts that failed", c(attempts_failed));
  Emit(out, "hookd_deliveries_succeeded_total", "counter", "Deliveries that succeeded", c(deliveries_succeeded));
  Emit(out, "hookd_deliveries_dead_total", "counter", "Deliveries whose retries ran out", c(deliveries_dead));
  Emit(out, "hookd_deliveries_queued", "gauge", "Deliveries waiting in the scheduler", deliveries_queued.load());
  Emit(out, "hookd_attempts_in_flight", "gauge", "Attempts in flight", attempts_in_flight.load());
  return out;
}

}  // namespace hookd
