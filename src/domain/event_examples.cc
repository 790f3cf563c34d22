// Example payloads: one object per resource, the action's fields merged in.
#include "domain/event_examples.h"

#include <map>

#include "common/json.h"
#include "domain/catalog.h"

namespace hookd {
namespace {

// The resource's own fields, keyed by the type's first segment.
const std::map<std::string_view, const char*>& Resources() {
  static const std::map<std::string_view, const char*> resources = {
      {"license",
       R"({"license":{"id":"lic_8f3a21","product_id":"prod_27","user_email":"ada@example.com","seats":5,"status":"active","expires_at":"2027-06-30T00:00:00Z"}})"},
      {"trial",
       R"({"trial":{"id":"trl_51c0","account_email":"ada@example.com","plan":"pro","ends_at":"2027-01-14T00:00:00Z"}})"},
      {"usage", R"({"usage":{"metric":"api_calls","limit":100000,"used":80000,"period_end":"2027-01-31T23:59:59Z"}})"},
      {"activation", R"({"activation":{"id":"act_903e","license_id":"lic_8f3a21","machine":"build-agent-7"}})"},
      {"product", R"({"product":{"id":"prod_27","name":"Acme Analytics","sku":"ACME-AN-PRO"}})"},
      {"contract",
       R"({"contract":{"id":"ctr_4410","customer":"Globex","value_cents":1200000,"currency":"USD","status":"active"}})"},
      {"user", R"({"user":{"id":"usr_7d2c","email":"ada@example.com","name":"Ada Lovelace","role":"member"}})"},
      {"team", R"({"team":{"id":"team_12","name":"Platform"},"member":{"id":"usr_7d2c","email":"ada@example.com"}})"},
      {"organization", R"({"organization":{"id":"org_3b","name":"Acme Inc.","plan":"business"}})"},
      {"workspace", R"({"workspace":{"id":"ws_90","name":"Marketing","organization_id":"org_3b"}})"},
      {"project", R"({"project":{"id":"prj_1f","name":"Website relaunch","workspace_id":"ws_90","status":"active"}})"},
      {"task",
       R"({"task":{"id":"tsk_77e1","title":"Write the launch post","project_id":"prj_1f","status":"open","assignee_id":"usr_7d2c"}})"},
      {"content", R"({"content":{"id":"cnt_5a","title":"Spring launch","channel":"blog","status":"draft"}})"},
      {"subscription",
       R"({"subscription":{"id":"sub_2e9","customer_id":"cus_41","plan":"pro-monthly","status":"active","current_period_end":"2027-01-31T00:00:00Z"}})"},
      {"payment",
       R"({"payment":{"id":"pay_6c1","amount_cents":4900,"currency":"USD","customer_id":"cus_41","status":"succeeded"}})"},
      {"invoice",
       R"({"invoice":{"id":"inv_2027_0012","amount_due_cents":4900,"currency":"USD","customer_id":"cus_41","status":"open","due_at":"2027-01-15T00:00:00Z"}})"},
      {"device",
       R"({"device":{"id":"dev_a41","name":"Thermostat, floor 2","model":"T-200","firmware":"3.4.1","status":"online"}})"},
      {"alert",
       R"({"alert":{"id":"alr_88","monitor":"API latency p99","severity":"warning","value":1.8,"threshold":1.5}})"},
      {"analytics",
       R"({"report":{"id":"rpt_1209","name":"Weekly usage","url":"https://example.com/reports/rpt_1209"}})"},
      {"webhook", R"({"message":"This is a test event from hookd."})"},
      {"endpoint", R"({"webhook_id":"wh_01JD4S5X7N2QK8","host":"hooks.customer.example"})"},
      {"delivery",
       R"({"webhook_id":"wh_01JD4S5X7N2QK8","delivery_id":"dlv_01JD4T0B3K9M2P","event_id":"evt_01JD4SZQ8R4V6W","event_type":"invoice.paid","attempt_count":8,"last_response_status":null,"last_error":"timeout"})"},
  };
  return resources;
}

// What an action adds (merged into the resource's object, or beside it for keys that are not the resource's).
const std::map<std::string_view, const char*>& Actions() {
  static const std::map<std::string_view, const char*> actions = {
      {"license.assigned", R"({"license":{"assigned_to":"usr_7d2c"}})"},
      {"license.suspended", R"({"license":{"status":"suspended"},"reason":"payment_overdue"})"},
      {"license.expired", R"({"license":{"status":"expired"}})"},
      {"license.revoked", R"({"license":{"status":"revoked"},"reason":"terms_violation"})"},
      {"license.cancelled", R"({"license":{"status":"cancelled"}})"},
      {"license.deactivated", R"({"license":{"status":"inactive"}})"},
      {"license.upgraded", R"({"previous_seats":5,"license":{"seats":10}})"},
      {"license.downgraded", R"({"previous_seats":10,"license":{"seats":5}})"},
      {"trial.extended", R"({"trial":{"ends_at":"2027-01-28T00:00:00Z"},"extended_days":14})"},
      {"trial.converted", R"({"subscription_id":"sub_2e9"})"},
      {"usage.limit_reached", R"({"usage":{"used":100000}})"},
      {"activation.failed", R"({"error":"seat_limit_reached"})"},
      {"contract.suspended", R"({"contract":{"status":"suspended"}})"},
      {"user.login", R"({"ip":"203.0.113.7","user_agent":"Mozilla/5.0"})"},
      {"user.logout", R"({"session_id":"ses_31"})"},
      {"user.invited", R"({"invited_by":"usr_01","expires_at":"2027-01-08T00:00:00Z"})"},
      {"user.role.changed", R"({"previous_role":"member","user":{"role":"admin"}})"},
      {"team.member_removed", R"({"removed_by":"usr_01"})"},
      {"project.archived", R"({"project":{"status":"archived"}})"},
      {"task.completed", R"({"task":{"status":"done","completed_at":"2027-01-05T16:20:00Z"}})"},
      {"task.assigned", R"({"task":{"assignee_id":"usr_7d2c"},"assigned_by":"usr_01"})"},
      {"task.comment.added", R"({"comment":{"id":"cmt_9","author_id":"usr_01","body":"Looks good to me."}})"},
      {"content.published", R"({"content":{"status":"published","url":"https://example.com/blog/spring-launch"}})"},
      {"content.failed", R"({"content":{"status":"failed"},"error":"channel_unavailable"})"},
      {"content.scheduled", R"({"content":{"status":"scheduled","publish_at":"2027-01-10T09:00:00Z"}})"},
      {"subscription.cancelled", R"({"subscription":{"status":"cancelled","cancel_at":"2027-01-31T00:00:00Z"}})"},
      {"subscription.canceled", R"({"subscription":{"status":"canceled","cancel_at":"2027-01-31T00:00:00Z"}})"},
      {"subscription.renewed", R"({"subscription":{"current_period_end":"2027-02-28T00:00:00Z"}})"},
      {"subscription.payment_failed",
       R"({"subscription":{"status":"past_due"},"attempt":2,"next_retry_at":"2027-01-03T00:00:00Z"})"},
      {"payment.failed", R"({"payment":{"status":"failed"},"failure_code":"card_declined"})"},
      {"payment.refunded", R"({"payment":{"status":"refunded"},"refund":{"id":"re_5","amount_cents":4900}})"},
      {"invoice.paid", R"({"invoice":{"status":"paid","paid_at":"2027-01-02T10:00:00Z"}})"},
      {"invoice.overdue", R"({"invoice":{"status":"overdue"},"days_overdue":3})"},
      {"device.offline", R"({"device":{"status":"offline"},"last_seen_at":"2027-01-04T22:10:00Z"})"},
      {"device.alert", R"({"alert":{"code":"temperature_high","value":31.5,"unit":"celsius"}})"},
      {"alert.resolved", R"({"alert":{"resolved_at":"2027-01-04T22:40:00Z"}})"},
      {"webhook.ping", R"({"message":"hookd checks that this endpoint answers."})"},
      {"endpoint.disabled", R"({"reason":"5 consecutive deliveries failed every attempt","last_response_status":503})"},
      {"endpoint.updated", R"({"changed":["url","secret"],"previous_host":"old-hooks.customer.example"})"},
  };
  return actions;
}

}  // namespace

std::string ExamplePayload(std::string_view type) {
  static const EventCatalog catalog;
  const auto resource = Resources().find(type.substr(0, type.find('.')));
  if (!catalog.IsBuiltIn(type) || resource == Resources().end()) return "{}";
  json::object data = json::parse(resource->second).as_object();
  if (auto action = Actions().find(type); action != Actions().end()) {
    MergeJsonObject(data, json::parse(action->second).as_object());
  }
  return SerializeJson(data);
}

}  // namespace hookd
