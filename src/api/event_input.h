// Reads and validates an event from a JSON body (POST /api/v1/events, or one item of a batch): type, data,
// environment, metadata and idempotency key. Pure apart from the catalog lookup; the account it belongs to is the
// caller's business.
#pragma once

#include <optional>
#include <string>

#include "common/json.h"
#include "common/result.h"
#include "domain/catalog.h"
#include "store/store.h"

namespace hookd {

inline constexpr size_t kMaxBatchEvents = 1000;

// The event's fields, with a new id and `now_ms` as its creation time; `prefix` names the item in error fields
// ("events[3].").
[[nodiscard]] Result<NewEvent> ReadEventFields(const json::object& body, const std::string& prefix,
                                               const EventCatalog& catalog, int64_t now_ms);

// Why an idempotency key (header or field) is refused, or nullopt: at most 255 printable ASCII characters.
[[nodiscard]] std::optional<std::string> CheckIdempotencyKey(const std::string& key);

}  // namespace hookd
