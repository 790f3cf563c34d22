// One block per field, in the order of SPEC §3's event body.
#include "api/event_input.h"

#include "common/ids.h"
#include "common/json.h"
#include "common/time_util.h"
#include "domain/operational.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

constexpr size_t kMaxIdempotencyKey = 255;
constexpr size_t kMaxEventJsonBytes = 256 * 1024;

}  // namespace

std::optional<std::string> CheckIdempotencyKey(const std::string& key) {
  if (key.size() > kMaxIdempotencyKey) return "must be at most 255 characters";
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return "must be printable ASCII";
    }
  }
  return std::nullopt;
}

Result<NewEvent> ReadEventFields(const json::object& body, const std::string& prefix, const EventCatalog& catalog,
                                 int64_t now_ms) {
  NewEvent input;
  Event& e = input.event;

  auto type = body.find("type");
  if (type == body.end()) return Fail(Error::Invalid(prefix + "type", "is required"));
  if (!type->value().is_string() || !IsWellFormedEventType(std::string(type->value().as_string()))) {
    return Fail(Error::Invalid(prefix + "type", "must be an event type name such as task.completed"));
  }
  e.type = std::string(type->value().as_string());
  if (!catalog.Contains(e.type)) {
    return Fail(Error::Invalid(prefix + "type", "'" + e.type + "' is not in the event catalog", "unknown_event_type"));
  }
  if (IsOperationalType(e.type)) {
    return Fail(Error::Invalid(prefix + "type", "'" + e.type + "' is sent by hookd to operational webhooks only"));
  }

  if (auto data = body.find("data"); data != body.end() && !data->value().is_null()) {
    if (!data->value().is_object()) return Fail(Error::Invalid(prefix + "data", "must be a JSON object"));
    e.data_json = SerializeJson(data->value());
  }
  if (auto env = body.find("environment"); env != body.end() && !env->value().is_null()) {
    if (!env->value().is_string()) return Fail(Error::Invalid(prefix + "environment", "must be a string"));
    e.environment = std::string(env->value().as_string());
    if (auto problem = CheckEnvironment(e.environment)) return Fail(Error::Invalid(prefix + "environment", *problem));
  }
  if (auto meta = body.find("metadata"); meta != body.end() && !meta->value().is_null()) {
    if (!meta->value().is_object()) return Fail(Error::Invalid(prefix + "metadata", "must be a JSON object"));
    e.metadata_json = SerializeJson(meta->value());
  }
  if (e.data_json.size() + e.metadata_json.size() > kMaxEventJsonBytes) {
    return Fail(Error::TooLarge(prefix + "event data and metadata must be at most 256 KiB"));
  }
  if (auto key = body.find("idempotency_key"); key != body.end() && !key->value().is_null()) {
    if (!key->value().is_string()) return Fail(Error::Invalid(prefix + "idempotency_key", "must be a string"));
    input.idempotency_key = std::string(key->value().as_string());
    if (auto problem = CheckIdempotencyKey(input.idempotency_key)) {
      return Fail(Error::Invalid(prefix + "idempotency_key", *problem));
    }
  }
  e.id = NewId("evt_");
  e.created_at_ms = now_ms;
  return input;
}

}  // namespace hookd
