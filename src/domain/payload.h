// The request body of a delivery, by the webhook's payload_format (SPEC §4). Raw JSON of the event's data and
// metadata is spliced in unchanged. Pure.
#pragma once

#include <string>
#include <string_view>

#include "domain/model.h"

namespace hookd {

[[nodiscard]] std::string BuildPayload(PayloadFormat format, const Event& event, std::string_view webhook_id);

}  // namespace hookd
