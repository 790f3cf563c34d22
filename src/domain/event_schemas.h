// A JSON Schema (draft 2020-12) for the `data` of every built-in event type: the contract a receiver codes
// against, published with the event catalog (`hookd catalog`, docs/events.md). Written apart from the example
// payloads, which the tests validate against it. Pure.
#pragma once

#include <string_view>

#include "common/json.h"

namespace hookd {

// The schema of `type`'s data; null for a type the built-in catalog does not know (a custom type).
[[nodiscard]] json::value EventSchema(std::string_view type);

}  // namespace hookd
