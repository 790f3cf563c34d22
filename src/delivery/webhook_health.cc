// The circuit's cooldown starts at the configured value and doubles with every failed probe.
#include "delivery/webhook_health.h"

#include <algorithm>

namespace hookd {

bool WebhookHealth::MayAttempt(int64_t now_ms, int in_flight) {
  switch (circuit_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      if (now_ms < open_until_ms_ || in_flight > 0) return false;
      circuit_ = CircuitState::kHalfOpen;
      state_changed_pending_ = true;
      return true;
    case CircuitState::kHalfOpen:
      return in_flight == 0;
  }
  return true;
}

void WebhookHealth::Open(int64_t now_ms) {
  circuit_ = CircuitState::kOpen;
  open_until_ms_ = now_ms + cooldown_ms_;
}

bool WebhookHealth::OnAttempt(bool success, int64_t now_ms) {
  const CircuitState before = circuit_;
  bool changed = state_changed_pending_;
  state_changed_pending_ = false;
  if (success) {
    consecutive_failures_ = 0;
    circuit_ = CircuitState::kClosed;
    cooldown_ms_ = 0;
  } else {
    ++consecutive_failures_;
    if (circuit_ == CircuitState::kHalfOpen) {
      cooldown_ms_ = std::min(settings_.max_cooldown_ms, std::max(settings_.cooldown_ms, cooldown_ms_ * 2));
      Open(now_ms);
    } else if (circuit_ == CircuitState::kClosed && consecutive_failures_ >= settings_.threshold) {
      cooldown_ms_ = settings_.cooldown_ms;
      Open(now_ms);
    }
  }
  return changed || circuit_ != before;
}

bool WebhookHealth::OnDead() {
  ++consecutive_dead_;
  return settings_.disable_after > 0 && consecutive_dead_ >= settings_.disable_after;
}

void WebhookHealth::Reset() {
  circuit_ = CircuitState::kClosed;
  consecutive_failures_ = 0;
  consecutive_dead_ = 0;
  cooldown_ms_ = 0;
  open_until_ms_ = 0;
  state_changed_pending_ = false;
}

void WebhookHealth::RestoreOpen(int64_t now_ms) {
  consecutive_failures_ = settings_.threshold;
  cooldown_ms_ = settings_.cooldown_ms;
  Open(now_ms);
}

}  // namespace hookd
