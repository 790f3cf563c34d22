// Per-webhook delivery health: the circuit breaker (closed → open after N consecutive failed attempts → one
// half-open probe after a cooldown that doubles on each failed probe up to 10 min → closed on success) and the
// consecutive-dead counter behind auto-disable. Pure: the caller passes the time and applies the decisions.
#pragma once

#include <cstdint>

#include "domain/model.h"

namespace hookd {

struct CircuitSettings {
  int threshold = 5;
  int64_t cooldown_ms = 30'000;
  int64_t max_cooldown_ms = 600'000;
  int disable_after = 5;  // consecutive dead deliveries; 0 = never
};

class WebhookHealth {
 public:
  explicit WebhookHealth(CircuitSettings settings) : settings_(settings) {}

  [[nodiscard]] CircuitState circuit() const { return circuit_; }
  [[nodiscard]] int64_t open_until_ms() const { return open_until_ms_; }

  // Whether an attempt may start now. An open circuit whose cooldown has passed becomes half-open and lets
  // exactly one probe through (the caller must not start another while `in_flight` > 0).
  [[nodiscard]] bool MayAttempt(int64_t now_ms, int in_flight);

  // Records an attempt's outcome; returns true when the circuit state changed (so it should be persisted).
  bool OnAttempt(bool success, int64_t now_ms);
  // Records a delivery reaching `dead`; returns true when the webhook should now be disabled.
  [[nodiscard]] bool OnDead();
  void OnDeliverySucceeded() { consecutive_dead_ = 0; }

  // Starts over (the webhook was re-enabled).
  void Reset();
  // Restores a circuit that was open when the process stopped: open again for one cooldown from `now_ms`.
  void RestoreOpen(int64_t now_ms);

 private:
  void Open(int64_t now_ms);

  CircuitSettings settings_;
  CircuitState circuit_ = CircuitState::kClosed;
  int consecutive_failures_ = 0;
  int consecutive_dead_ = 0;
  int64_t cooldown_ms_ = 0;
  int64_t open_until_ms_ = 0;
  bool state_changed_pending_ = false;
};

}  // namespace hookd
