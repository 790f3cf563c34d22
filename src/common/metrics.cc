// Prometheus exposition format, version 0.0.4: HELP and TYPE lines, then the series; histogram buckets are
// cumulative and end with +Inf.
#include "common/metrics.h"

#include <algorithm>
#include <cstdio>

#include "common/time_util.h"
#include "common/version.h"

namespace hookd {
namespace {

// Seconds: from a fast local receiver (milliseconds) to the attempt timeout (30 s by default).
const std::vector<double> kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10,   30};
// Seconds from an event to its delivery: the first attempt (milliseconds) to retries hours later.
const std::vector<double> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,    2.5,
                                             5,     10,   30,    60,   300, 1800, 7200, 86400};
const std::vector<double> kBatchBuckets = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};

constexpr const char* kOutcomeNames[] = {"2xx",        "3xx", "4xx", "5xx",     "timeout",
                                         "connection", "tls", "dns", "blocked", "other"};
constexpr const char* kStageNames[] = {"scheduled", "ready", "loading", "in_flight", "recording"};

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, std::string_view labels, const std::string& value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

void Single(std::string& out, std::string_view name, std::string_view type, std::string_view help, int64_t value) {
  Header(out, name, type, help);
  Sample(out, name, "", std::to_string(value));
}

// A route pattern as a label value: only `\`, `"` and newlines would need escaping, and patterns have none.
std::string Label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  const size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::max(0.0, value) * 1e6), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string bucket = std::string(name) + "_bucket";
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    Sample(out, bucket, prefix + Label("le", le), std::to_string(cumulative));
  }
  Sample(out, std::string(name) + "_sum", labels,
         Number(static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6));
  // The count is the +Inf bucket's, read once, so the two always agree.
  Sample(out, std::string(name) + "_count", labels, std::to_string(cumulative));
}

AttemptOutcome ClassifyAttempt(std::optional<int> status, std::string_view error) {
  if (status) {
    if (*status >= 200 && *status < 300) return AttemptOutcome::k2xx;
    if (*status >= 300 && *status < 400) return AttemptOutcome::k3xx;
    if (*status >= 400 && *status < 500) return AttemptOutcome::k4xx;
    if (*status >= 500 && *status < 600) return AttemptOutcome::k5xx;
    return AttemptOutcome::kOther;
  }
  if (error == "timeout") return AttemptOutcome::kTimeout;
  if (error == "tls") return AttemptOutcome::kTls;
  if (error == "dns") return AttemptOutcome::kDns;
  if (error == "blocked_address") return AttemptOutcome::kBlocked;
  if (error.starts_with("connection") || error == "network_error" || error == "send_failed") {
    return AttemptOutcome::kConnection;
  }
  return AttemptOutcome::kOther;
}

Metrics::Route::Route(std::string p) : pattern(std::move(p)), duration(kDurationBuckets) {}

Metrics::Metrics()
    : started_at_ms_(NowMs()),
      attempt_duration_(kDurationBuckets),
      delivery_latency_(kLatencyBuckets),
      commit_duration_(kDurationBuckets),
      commit_batch_size_(kBatchBuckets) {}

size_t Metrics::RegisterRoute(std::string pattern) {
  routes_.emplace_back(std::move(pattern));
  return routes_.size() - 1;
}

void Metrics::ApiRequest(size_t route, int status, double seconds) {
  Route& r = route < routes_.size() ? routes_[route] : unmatched_;
  const size_t cls = static_cast<size_t>(std::clamp(status / 100, 1, 5) - 1);
  r.by_class[cls].fetch_add(1, std::memory_order_relaxed);
  r.duration.Observe(seconds);
}

void Metrics::EventsAccepted(uint64_t events, uint64_t deliveries) {
  events_accepted_.fetch_add(events, std::memory_order_relaxed);
  deliveries_created_.fetch_add(deliveries, std::memory_order_relaxed);
}

void Metrics::AttemptFinished(AttemptOutcome outcome, double seconds) {
  attempts_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  attempt_duration_.Observe(seconds);
}

void Metrics::DeliverySucceeded(double seconds_since_event) {
  deliveries_succeeded_.fetch_add(1, std::memory_order_relaxed);
  delivery_latency_.Observe(seconds_since_event);
}

void Metrics::RetentionRun(bool caught_up, int64_t now_ms) {
  if (caught_up) {
    retention_caught_up_at_ms_.store(now_ms, std::memory_order_relaxed);
  } else {
    retention_failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Metrics::LeaseRound(bool renewed, int64_t shards_held) {
  (renewed ? lease_renewals_ : lease_renewal_failures_).fetch_add(1, std::memory_order_relaxed);
  if (renewed) shards_held_.store(shards_held, std::memory_order_relaxed);
}

void Metrics::StoreCommit(double seconds, size_t batch_size) {
  commit_duration_.Observe(seconds);
  commit_batch_size_.Observe(static_cast<double>(batch_size));
}

std::string Metrics::RenderPrometheus(const std::optional<std::array<int64_t, 3>>& webhooks_by_status) const {
  std::string out;
  auto n = [](const std::atomic<uint64_t>& v) { return static_cast<int64_t>(v.load(std::memory_order_relaxed)); };

  Header(out, "hookd_build_info", "gauge", "hookd's version; always 1");
  Sample(out, "hookd_build_info", Label("version", kVersion), "1");
  Header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds");
  Sample(out, "process_start_time_seconds", "", Number(static_cast<double>(started_at_ms_) / 1000));

  Header(out, "hookd_api_requests_total", "counter", "API and UI requests answered, by route pattern and status class");
  auto route_counts = [&](const Route& r) {
    for (size_t c = 0; c < r.by_class.size(); ++c) {
      const uint64_t v = r.by_class[c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      Sample(out, "hookd_api_requests_total",
             Label("route", r.pattern) + "," + Label("status_class", std::to_string(c + 1) + "xx"), std::to_string(v));
    }
  };
  for (const Route& r : routes_) route_counts(r);
  route_counts(unmatched_);
  Header(out, "hookd_api_request_duration_seconds", "histogram", "Time to answer an API or UI request, by route");
  for (const Route& r : routes_)
    r.duration.Render(out, "hookd_api_request_duration_seconds", Label("route", r.pattern));
  unmatched_.duration.Render(out, "hookd_api_request_duration_seconds", Label("route", unmatched_.pattern));

  Single(out, "hookd_events_accepted_total", "counter", "Events accepted (202)", n(events_accepted_));
  Single(out, "hookd_deliveries_created_total", "counter", "Deliveries created for accepted events",
         n(deliveries_created_));
  Single(out, "hookd_deliveries_succeeded_total", "counter", "Deliveries that succeeded", n(deliveries_succeeded_));
  Single(out, "hookd_deliveries_dead_total", "counter", "Deliveries whose retries ran out (or answered 410)",
         n(deliveries_dead_));

  Header(out, "hookd_attempts_total", "counter", "Delivery attempts by outcome class");
  for (size_t i = 0; i < attempts_.size(); ++i) {
    Sample(out, "hookd_attempts_total", Label("outcome", kOutcomeNames[i]), std::to_string(n(attempts_[i])));
  }
  Header(out, "hookd_attempt_duration_seconds", "histogram", "Duration of a delivery attempt, request to response");
  attempt_duration_.Render(out, "hookd_attempt_duration_seconds", "");
  Header(out, "hookd_delivery_latency_seconds", "histogram",
         "From an event's acceptance to the successful attempt of each of its deliveries");
  delivery_latency_.Render(out, "hookd_delivery_latency_seconds", "");

  Header(out, "hookd_deliveries_waiting", "gauge", "Deliveries this process holds, by stage");
  for (size_t i = 0; i < waiting_.size(); ++i) {
    Sample(out, "hookd_deliveries_waiting", Label("stage", kStageNames[i]),
           std::to_string(waiting_[i].load(std::memory_order_relaxed)));
  }
  Header(out, "hookd_oldest_waiting_delivery_seconds", "gauge",
         "How long the longest-waiting delivery of each stage has been there (scheduled: how far past its due time)");
  for (size_t i = 0; i < oldest_waiting_ms_.size(); ++i) {
    Sample(out, "hookd_oldest_waiting_delivery_seconds", Label("stage", kStageNames[i]),
           Number(static_cast<double>(oldest_waiting_ms_[i].load(std::memory_order_relaxed)) / 1000));
  }
  Single(out, "hookd_circuits_open", "gauge", "Webhooks whose circuit is open or half-open",
         open_circuits_.load(std::memory_order_relaxed));
  if (webhooks_by_status) {
    Header(out, "hookd_webhooks", "gauge", "Webhooks by status");
    const char* statuses[] = {"healthy", "failing", "disabled"};
    for (size_t i = 0; i < 3; ++i) {
      Sample(out, "hookd_webhooks", Label("status", statuses[i]), std::to_string((*webhooks_by_status)[i]));
    }
  }

  Header(out, "hookd_store_commit_duration_seconds", "histogram", "Duration of one store transaction of writes");
  commit_duration_.Render(out, "hookd_store_commit_duration_seconds", "");
  Header(out, "hookd_store_commit_batch_size", "histogram", "Writes (API requests, attempt records) per transaction");
  commit_batch_size_.Render(out, "hookd_store_commit_batch_size", "");
  Single(out, "hookd_store_write_failures_total", "counter",
         "Store transactions of writes that failed (each is retried or its callers told)", n(store_write_failures_));
  Single(out, "hookd_retention_purged_rows_total", "counter", "Deliveries and events the retention job removed",
         n(purged_rows_));
  if (const int64_t at = retention_caught_up_at_ms_.load(std::memory_order_relaxed); at > 0) {
    Header(out, "hookd_retention_caught_up_timestamp_seconds", "gauge",
           "When the retention job last purged everything past the retention (Unix time)");
    Sample(out, "hookd_retention_caught_up_timestamp_seconds", "", Number(static_cast<double>(at) / 1000));
  }
  Single(out, "hookd_retention_failures_total", "counter", "Retention runs a store error cut short",
         n(retention_failures_));
  if (const int64_t held = shards_held_.load(std::memory_order_relaxed); held >= 0) {
    Single(out, "hookd_shards_held", "gauge", "Shards whose deliveries this process runs", held);
  }
  Header(out, "hookd_lease_renewals_total", "counter", "Shard lease rounds, by result");
  Sample(out, "hookd_lease_renewals_total", Label("result", "renewed"), std::to_string(n(lease_renewals_)));
  Sample(out, "hookd_lease_renewals_total", Label("result", "failed"), std::to_string(n(lease_renewal_failures_)));
  Header(out, "hookd_alert_emails_total", "counter", "Alert emails handed to the SMTP server, by result");
  Sample(out, "hookd_alert_emails_total", Label("result", "sent"), std::to_string(n(alert_emails_sent_)));
  Sample(out, "hookd_alert_emails_total", Label("result", "failed"), std::to_string(n(alert_emails_failed_)));
  return out;
}

}  // namespace hookd
