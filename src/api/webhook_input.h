// Reads and validates the writable fields of a webhook from a JSON body (create or PATCH), collecting every
// field error so the client sees them all at once. Pure apart from the catalog lookup.
#pragma once

#include "common/json.h"
#include "common/result.h"
#include "domain/catalog.h"
#include "domain/model.h"

namespace hookd {

struct WebhookInputRules {
  bool allow_http = false;
  int max_endpoint_rate = 100;
  int64_t now_ms = 0;  // when the change is made: a change of `signing` rotates the secret from then
};

// Applies the fields present in `body` to `webhook`. On create, `url` and `events` are required.
// Returns 422 validation_failed with one detail per bad field; `webhook` is unspecified on error.
[[nodiscard]] Status ApplyWebhookFields(const json::object& body, bool creating, const WebhookInputRules& rules,
                                        const EventCatalog& catalog, Webhook& webhook);

}  // namespace hookd
