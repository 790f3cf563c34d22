// Vegas' decision, once per window of samples: queued = limit × (1 − probe / recent), where probe is the average
// round trip of this epoch's probe window (one window, not the lowest of many: that would mistake jitter for
// queueing). Fewer than alpha queued and
// the limit held work back: grow; more than beta: shrink. Alpha and beta grow with log10(limit) (as in Netflix's
// concurrency-limits), so a large limit tolerates the round-trip noise that a window average still has.
#include "domain/concurrency_limit.h"

#include <algorithm>
#include <cmath>

namespace hookd {

ConcurrencyLimit::ConcurrencyLimit(ConcurrencyLimitSettings settings)
    : settings_(settings), limit_(std::clamp(settings.initial_limit, settings.min_limit, settings.max_limit)) {}

int ConcurrencyLimit::limit() const {
  return probing_ ? std::max(settings_.min_limit, limit_ / 2) : limit_;
}

void ConcurrencyLimit::OnSample(int64_t round_trip_us, int64_t now_us) {
  if (!started_ || now_us - epoch_started_us_ >= settings_.epoch_us) StartEpoch(now_us);
  if (probe_skip_ > 0) {
    --probe_skip_;
    return;
  }
  window_sum_us_ += static_cast<double>(std::max<int64_t>(1, round_trip_us));
  ++window_samples_;
  if (window_samples_ < std::max(settings_.min_window, limit_)) return;
  const double average = window_sum_us_ / window_samples_;
  window_sum_us_ = 0;
  window_samples_ = 0;
  if (probing_) {
    probing_ = false;  // the probe only measures
    baseline_us_ = average;
  } else {
    Decide(average);
  }
  held_back_ = false;
}

void ConcurrencyLimit::StartEpoch(int64_t now_us) {
  epoch_started_us_ = now_us;
  started_ = true;
  probing_ = true;
  probe_skip_ = limit_;
  window_sum_us_ = 0;
  window_samples_ = 0;
}

void ConcurrencyLimit::Decide(double window_average_us) {
  const double queued = limit_ * (1.0 - baseline_us_ / window_average_us);
  const double log_limit = std::log10(static_cast<double>(limit_));
  const double alpha = std::max(1.0, 2 * log_limit);
  const double beta = std::max(2.0, 4 * log_limit);
  const int step = std::max(1, limit_ / 8);
  if (queued < alpha && held_back_) {
    limit_ = std::min(settings_.max_limit, limit_ + step);
  } else if (queued > beta) {
    limit_ = std::max(settings_.min_limit, limit_ - step);
  }
}

}  // namespace hookd
