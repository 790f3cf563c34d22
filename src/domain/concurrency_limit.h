// A webhook's adaptive concurrency limit: how many attempts may be in flight to it at once, found from the
// round trips it answers in (TCP Vegas' rule applied to requests). A fast endpoint is served best by a few busy
// connections — more only queue requests in our own loop and the receiver's, and spread the work over more
// sockets — while a slow one needs many to keep up with its events. The limit compares the recent round trip with
// one it gives at a lower concurrency: requests beyond what the endpoint answers at that speed are "queued";
// while fewer than a few are queued and the limit held work back, it grows; when more are, it shrinks. The
// baseline must come from a lower concurrency than the current one, or a standing queue would pass for the
// endpoint's speed; so each epoch begins with a probe: one window at half the limit. Pure: the caller passes the
// samples and the time.
#pragma once

#include <cstdint>

namespace hookd {

struct ConcurrencyLimitSettings {
  int min_limit = 2;
  int max_limit = 32;  // the hard cap, whatever the round trips say
  int initial_limit = 8;
  int min_window = 16;           // samples per decision (at least the current limit: about one round trip's worth)
  int64_t epoch_us = 5'000'000;  // how often the baseline is measured again
};

class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(ConcurrencyLimitSettings settings = {});

  // The current limit (halved while probing).
  [[nodiscard]] int limit() const;
  // Ready work waited because the limit was reached: the limit may grow at the end of this window.
  void OnHeldBack() { held_back_ = true; }
  // One finished attempt (whatever its outcome) and its round trip in microseconds, from start to completion as
  // the engine saw it — so the engine's own queueing counts too.
  void OnSample(int64_t round_trip_us, int64_t now_us);

 private:
  void StartEpoch(int64_t now_us);
  void Decide(double window_average_us);

  ConcurrencyLimitSettings settings_;
  int limit_;
  bool held_back_ = false;
  int window_samples_ = 0;
  double window_sum_us_ = 0;
  double baseline_us_ = 0;  // the average round trip of this epoch's probe window
  int64_t epoch_started_us_ = 0;
  bool started_ = false;
  bool probing_ = false;
  int probe_skip_ = 0;  // samples of attempts that started before the probe lowered the limit
};

}  // namespace hookd
