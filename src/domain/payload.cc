// Bodies are assembled as text: cheaper than building a JSON tree per attempt, and the data stays byte-exact.
#include "domain/payload.h"

#include "common/json.h"
#include "common/time_util.h"

namespace hookd {

std::string BuildPayload(PayloadFormat format, const Event& event, std::string_view webhook_id) {
  std::string body;
  body.reserve(event.data_json.size() + event.metadata_json.size() + 256);
  switch (format) {
    case PayloadFormat::kStandard:
      body += "{\"id\":" + JsonQuote(event.id) + ",\"type\":" + JsonQuote(event.type) +
              ",\"created\":" + JsonQuote(FormatRfc3339(event.created_at_ms)) +
              ",\"account_id\":" + JsonQuote(event.account_id) + ",\"environment\":" + JsonQuote(event.environment) +
              ",\"data\":" + event.data_json;
      if (!event.metadata_json.empty()) body += ",\"metadata\":" + event.metadata_json;
      body += "}";
      break;
    case PayloadFormat::kEventData:
      body += "{\"event\":" + JsonQuote(event.type) + ",\"timestamp\":" + JsonQuote(FormatRfc3339(event.created_at_ms)) +
              ",\"data\":" + event.data_json + ",\"webhook_id\":" + JsonQuote(webhook_id) + "}";
      break;
    case PayloadFormat::kEventPayload:
      body += "{\"event\":" + JsonQuote(event.type) + ",\"payload\":" + event.data_json +
              ",\"webhook_id\":" + JsonQuote(webhook_id) + "}";
      break;
  }
  return body;
}

}  // namespace hookd
