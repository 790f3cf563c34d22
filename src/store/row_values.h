// What both store backends (and the engine, for its log) do alike between domain values and stored rows: headers
// as a JSON object, pages cut
// from limit + 1 rows, a new pending delivery, the idempotency window. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/model.h"
#include "store/store.h"

namespace hookd {

// An idempotency key is remembered this long (SPEC §3); after that the same key creates a new event.
inline constexpr int64_t kIdempotencyWindowMs = 24LL * 3600 * 1000;
// An expired portal session is kept this long (its token then reads as expired, not unknown), then forgotten.
inline constexpr int64_t kExpiredPortalSessionKeepMs = 24LL * 3600 * 1000;

// Headers as a JSON object (a name that appears twice keeps its last value), for the delivery log and the
// webhook's custom headers; and back.
[[nodiscard]] std::string HeadersToJsonObject(const HeaderList& headers);
[[nodiscard]] HeaderList HeadersFromJsonObject(const std::string& text);

// A new pending delivery of `event` to `webhook_id`, due now (not yet stored).
[[nodiscard]] Delivery NewDelivery(const Event& event, const std::string& webhook_id, int64_t now_ms);

// Pages come from queries that fetch limit + 1 rows: the extra row only says there is more.
template <class T>
Page<T> MakePage(std::vector<T> rows, int limit) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<size_t>(limit));
    page.next_cursor = rows.back().id;
  }
  page.data = std::move(rows);
  return page;
}

}  // namespace hookd
