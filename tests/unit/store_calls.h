// A store's asynchronous calls made synchronous for tests: accepting events, and recording an attempt's outcome.
#pragma once

#include <future>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "store/store.h"

namespace hookd::testing {

inline Result<std::vector<AcceptedEvent>> AcceptNow(Store& store, std::vector<NewEvent> events) {
  std::promise<Result<std::vector<AcceptedEvent>>> done;
  store.AcceptEventsAsync(std::move(events),
                          [&](Result<std::vector<AcceptedEvent>> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

// Records attempt `number` of `d`, made at `now_ms`, which leaves it `status` (after `latency_ms`, when it
// succeeded; a failure is retried an hour later).
inline Status RecordNow(Store& store, const Delivery& d, DeliveryStatus status, int64_t now_ms, int number = 1,
                        std::optional<int64_t> latency_ms = {}) {
  AttemptRecord r;
  r.attempt.id = NewId("att_");
  r.attempt.delivery_id = d.id;
  r.attempt.number = number;
  if (status == DeliveryStatus::kSucceeded) r.latency_ms = latency_ms;
  r.attempt.started_at_ms = now_ms;
  r.attempt.response_status = status == DeliveryStatus::kSucceeded ? 200 : 500;
  r.attempt.success = status == DeliveryStatus::kSucceeded;
  r.new_status = status;
  if (status == DeliveryStatus::kFailed) r.next_attempt_at_ms = now_ms + 3'600'000;
  std::promise<Status> done;
  store.RecordAttemptsAsync({r}, [&](Status st, auto) { done.set_value(std::move(st)); });
  return done.get_future().get();
}

}  // namespace hookd::testing
