// Event data schemas, stated in a short notation and expanded to JSON Schema. A field's notation is one of
//   "string" "integer" "number" "date-time" "email" "uri" "ip" "currency" (an ISO 4217 code),
//   "id:pfx" (an id that starts with `pfx_`), "a|b|c" (one of these strings), "=x" (exactly the string x),
//   "[n]" (an array of what n says), "n?" (what n says, or null),
// or an object whose members follow the same notation. Every field stated is required; others may be present (a
// receiver ignores fields it does not know). A type's schema is its resource's (the first segment of its name)
// with what its action states merged in, member by member, as the example payloads are made.
#include "domain/event_schemas.h"

#include <map>

#include "domain/catalog.h"

namespace hookd {
namespace {

const std::map<std::string_view, const char*>& Resources() {
  static const std::map<std::string_view, const char*> resources = {
      {"license",
       R"({"license":{"id":"id:lic","product_id":"id:prod","user_email":"email","seats":"integer",
           "status":"active|suspended|expired|revoked|cancelled|inactive","expires_at":"date-time"}})"},
      {"trial", R"({"trial":{"id":"id:trl","account_email":"email","plan":"string","ends_at":"date-time"}})"},
      {"usage", R"({"usage":{"metric":"string","limit":"integer","used":"integer","period_end":"date-time"}})"},
      {"activation", R"({"activation":{"id":"id:act","license_id":"id:lic","machine":"string"}})"},
      {"product", R"({"product":{"id":"id:prod","name":"string","sku":"string"}})"},
      {"contract",
       R"({"contract":{"id":"id:ctr","customer":"string","value_cents":"integer","currency":"currency",
           "status":"active|suspended|ended"}})"},
      {"user", R"({"user":{"id":"id:usr","email":"email","name":"string","role":"member|admin|owner"}})"},
      {"team", R"({"team":{"id":"id:team","name":"string"},"member":{"id":"id:usr","email":"email"}})"},
      {"organization", R"({"organization":{"id":"id:org","name":"string","plan":"string"}})"},
      {"workspace", R"({"workspace":{"id":"id:ws","name":"string","organization_id":"id:org"}})"},
      {"project", R"({"project":{"id":"id:prj","name":"string","workspace_id":"id:ws","status":"active|archived"}})"},
      {"task",
       R"({"task":{"id":"id:tsk","title":"string","project_id":"id:prj","status":"open|done",
           "assignee_id":"id:usr"}})"},
      {"content",
       R"({"content":{"id":"id:cnt","title":"string","channel":"string",
           "status":"draft|scheduled|published|failed"}})"},
      {"subscription",
       R"({"subscription":{"id":"id:sub","customer_id":"id:cus","plan":"string",
           "status":"active|past_due|cancelled|canceled","current_period_end":"date-time"}})"},
      {"payment",
       R"({"payment":{"id":"id:pay","amount_cents":"integer","currency":"currency","customer_id":"id:cus",
           "status":"succeeded|failed|refunded"}})"},
      {"invoice",
       R"({"invoice":{"id":"id:inv","amount_due_cents":"integer","currency":"currency","customer_id":"id:cus",
           "status":"open|paid|overdue","due_at":"date-time"}})"},
      {"device",
       R"({"device":{"id":"id:dev","name":"string","model":"string","firmware":"string","status":"online|offline"}})"},
      {"alert",
       R"({"alert":{"id":"id:alr","monitor":"string","severity":"info|warning|critical","value":"number",
           "threshold":"number"}})"},
      {"analytics", R"({"report":{"id":"id:rpt","name":"string","url":"uri"}})"},
      {"webhook", R"({"message":"string"})"},
      {"endpoint", R"({"webhook_id":"id:wh","host":"string"})"},
      {"delivery",
       R"({"webhook_id":"id:wh","delivery_id":"id:dlv","event_id":"id:evt","event_type":"string",
           "attempt_count":"integer","last_response_status":"integer?","last_error":"string?"})"},
  };
  return resources;
}

const std::map<std::string_view, const char*>& Actions() {
  static const std::map<std::string_view, const char*> actions = {
      {"license.assigned", R"({"license":{"assigned_to":"id:usr"}})"},
      {"license.suspended", R"({"license":{"status":"=suspended"},"reason":"string"})"},
      {"license.expired", R"({"license":{"status":"=expired"}})"},
      {"license.revoked", R"({"license":{"status":"=revoked"},"reason":"string"})"},
      {"license.cancelled", R"({"license":{"status":"=cancelled"}})"},
      {"license.deactivated", R"({"license":{"status":"=inactive"}})"},
      {"license.upgraded", R"({"previous_seats":"integer"})"},
      {"license.downgraded", R"({"previous_seats":"integer"})"},
      {"trial.extended", R"({"extended_days":"integer"})"},
      {"trial.converted", R"({"subscription_id":"id:sub"})"},
      {"activation.failed", R"({"error":"string"})"},
      {"contract.suspended", R"({"contract":{"status":"=suspended"}})"},
      {"user.login", R"({"ip":"ip","user_agent":"string"})"},
      {"user.logout", R"({"session_id":"id:ses"})"},
      {"user.invited", R"({"invited_by":"id:usr","expires_at":"date-time"})"},
      {"user.role.changed", R"({"previous_role":"member|admin|owner"})"},
      {"team.member_removed", R"({"removed_by":"id:usr"})"},
      {"project.archived", R"({"project":{"status":"=archived"}})"},
      {"task.completed", R"({"task":{"status":"=done","completed_at":"date-time"}})"},
      {"task.assigned", R"({"assigned_by":"id:usr"})"},
      {"task.comment.added", R"({"comment":{"id":"id:cmt","author_id":"id:usr","body":"string"}})"},
      {"content.published", R"({"content":{"status":"=published","url":"uri"}})"},
      {"content.failed", R"({"content":{"status":"=failed"},"error":"string"})"},
      {"content.scheduled", R"({"content":{"status":"=scheduled","publish_at":"date-time"}})"},
      {"subscription.cancelled", R"({"subscription":{"status":"=cancelled","cancel_at":"date-time"}})"},
      {"subscription.canceled", R"({"subscription":{"status":"=canceled","cancel_at":"date-time"}})"},
      {"subscription.payment_failed",
       R"({"subscription":{"status":"=past_due"},"attempt":"integer","next_retry_at":"date-time"})"},
      {"payment.succeeded", R"({"payment":{"status":"=succeeded"}})"},
      {"payment.failed", R"({"payment":{"status":"=failed"},"failure_code":"string"})"},
      {"payment.refunded", R"({"payment":{"status":"=refunded"},"refund":{"id":"id:re","amount_cents":"integer"}})"},
      {"invoice.paid", R"({"invoice":{"status":"=paid","paid_at":"date-time"}})"},
      {"invoice.overdue", R"({"invoice":{"status":"=overdue"},"days_overdue":"integer"})"},
      {"device.online", R"({"device":{"status":"=online"}})"},
      {"device.offline", R"({"device":{"status":"=offline"},"last_seen_at":"date-time"})"},
      {"device.alert", R"({"alert":{"code":"string","value":"number","unit":"string"}})"},
      {"alert.resolved", R"({"alert":{"resolved_at":"date-time"}})"},
      {"endpoint.disabled", R"({"reason":"string","last_response_status":"integer?"})"},
      {"endpoint.updated", R"({"changed":"[url|secret]","previous_host":"string"})"},
  };
  return actions;
}

json::object Leaf(std::string_view notation) {
  if (notation.ends_with("?")) {
    return {{"anyOf", json::array{Leaf(notation.substr(0, notation.size() - 1)), json::object{{"type", "null"}}}}};
  }
  if (notation.starts_with("[") && notation.ends_with("]")) {
    return {{"type", "array"}, {"items", Leaf(notation.substr(1, notation.size() - 2))}};
  }
  if (notation.starts_with("=")) return {{"const", notation.substr(1)}};
  if (notation.starts_with("id:")) {
    return {{"type", "string"}, {"pattern", "^" + std::string(notation.substr(3)) + "_[A-Za-z0-9_]+$"}};
  }
  if (notation.find('|') != std::string_view::npos) {
    json::array values;
    for (size_t start = 0;;) {
      const size_t bar = notation.find('|', start);
      values.emplace_back(notation.substr(start, bar - start));
      if (bar == std::string_view::npos) break;
      start = bar + 1;
    }
    return {{"type", "string"}, {"enum", std::move(values)}};
  }
  if (notation == "integer" || notation == "number" || notation == "string") return {{"type", notation}};
  if (notation == "date-time" || notation == "email" || notation == "uri") {
    return {{"type", "string"}, {"format", notation}};
  }
  if (notation == "ip") {
    return {{"type", "string"}, {"anyOf", json::array{json::object{{"format", "ipv4"}}, {{"format", "ipv6"}}}}};
  }
  if (notation == "currency") return {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}};
  throw std::logic_error("event schema: unknown notation " + std::string(notation));
}

json::object Expand(const json::object& fields) {
  json::object properties;
  json::array required;
  for (const auto& [name, notation] : fields) {
    properties[name] = notation.is_object() ? Expand(notation.as_object()) : Leaf(notation.as_string());
    required.emplace_back(name);
  }
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

}  // namespace

json::value EventSchema(std::string_view type) {
  static const EventCatalog catalog;
  const auto resource = Resources().find(type.substr(0, type.find('.')));
  if (!catalog.IsBuiltIn(type) || resource == Resources().end()) return nullptr;
  json::object fields = json::parse(resource->second).as_object();
  if (auto action = Actions().find(type); action != Actions().end()) {
    MergeJsonObject(fields, json::parse(action->second).as_object());
  }
  json::object schema{{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"title", type}};
  for (const EventType& t : catalog.All()) {
    if (t.type == type) schema["description"] = t.description;
  }
  for (auto& [key, value] : Expand(fields)) schema[key] = std::move(value);
  return schema;
}

}  // namespace hookd
