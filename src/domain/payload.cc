// Bodies are assembled as text: cheaper than building a JSON tree per attempt, and the data stays byte-exact.
#include "domain/payload.h"

#include "common/json.h"
#include "common/time_util.h"

namespace hookd {

std::string BuildPayload(PayloadFormat format, const Event& event, std::string_view webhook_id) {
  std::string body;
  body.reserve(event.data_json.size() + event.metadata_json.size() + 256);
  const auto field = [&body](std::string_view name_and_colon, std::string_view value) {
    body += name_and_colon;
    AppendJsonQuoted(body, value);
  };
  switch (format) {
    case PayloadFormat::kStandard:
      field("{\"id\":", event.id);
      field(",\"type\":", event.type);
      field(",\"created\":", FormatRfc3339(event.created_at_ms));
      field(",\"account_id\":", event.account_id);
      field(",\"environment\":", event.environment);
      body.append(",\"data\":").append(event.data_json);
      if (!event.metadata_json.empty()) body.append(",\"metadata\":").append(event.metadata_json);
      body += '}';
      break;
    case PayloadFormat::kEventData:
      field("{\"event\":", event.type);
      field(",\"timestamp\":", FormatRfc3339(event.created_at_ms));
      body.append(",\"data\":").append(event.data_json);
      field(",\"webhook_id\":", webhook_id);
      body += '}';
      break;
    case PayloadFormat::kEventPayload:
      field("{\"event\":", event.type);
      body.append(",\"payload\":").append(event.data_json);
      field(",\"webhook_id\":", webhook_id);
      body += '}';
      break;
  }
  return body;
}

}  // namespace hookd
