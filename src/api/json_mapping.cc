// Raw JSON kept in the store (event data, metadata, headers) is parsed back into values here.
#include "api/json_mapping.h"

#include <map>
#include <set>

#include "common/signing_scheme.h"
#include "common/time_util.h"
#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/tls_credentials.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

json::value Time(std::optional<int64_t> ms) {
  return ms ? json::value(FormatRfc3339(*ms)) : json::value(nullptr);
}
json::value OptInt(std::optional<int64_t> v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

json::object AccountJson(const Account& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"email", a.email},
          {"created_at", FormatRfc3339(a.created_at_ms)},
          {"updated_at", FormatRfc3339(a.updated_at_ms)}};
}

json::object ApiKeyJson(const ApiKey& k) {
  return {{"id", k.id},
          {"account_id", k.account_id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"created_at", FormatRfc3339(k.created_at_ms)}};
}

json::object PortalSessionJson(const PortalSession& s) {
  return {{"id", s.id},
          {"account_id", s.account_id},
          {"access", ToString(s.access)},
          {"return_url", s.return_url.empty() ? json::value(nullptr) : json::value(s.return_url)},
          {"created_at", FormatRfc3339(s.created_at_ms)},
          {"expires_at", FormatRfc3339(s.expires_at_ms)}};
}

json::object WebhookJson(const Webhook& w, bool include_secret) {
  json::object o{{"id", w.id}, {"account_id", w.account_id}};
  for (auto& [field, value] : WebhookSettingsJson(w)) o[field] = std::move(value);
  o["status"] = ToString(w.status);
  o["circuit"] = ToString(w.circuit);
  o["created_at"] = FormatRfc3339(w.created_at_ms);
  o["updated_at"] = FormatRfc3339(w.updated_at_ms);
  o["disabled_reason"] = w.disabled_reason.empty() ? json::value(nullptr) : json::value(w.disabled_reason);
  o["verified"] = w.verified;
  if (w.tls.empty()) {
    o["tls"] = nullptr;
  } else {  // the certificate's fingerprint and expiry; never the key
    const TlsSummary tls = SummarizeTls(w.tls.client_certificate, w.tls.ca_certificates);
    o["tls"] = json::object{
        {"fingerprint_sha256",
         tls.fingerprint_sha256.empty() ? json::value(nullptr) : json::value(tls.fingerprint_sha256)},
        {"expires_at", tls.expires_at_ms ? json::value(FormatRfc3339(tls.expires_at_ms)) : json::value(nullptr)},
        {"ca_certificates", tls.ca_certificates}};
  }
  for (auto& [field, value] : SigningKeyJson(w)) {  // `signing` is among the settings already
    if (field != "signing" && (field != "secret" || include_secret)) o[field] = std::move(value);
  }
  return o;
}

json::object SigningKeyJson(const Webhook& w) {
  if (const Ed25519Key key(w.secret); key.valid()) {
    return {
        {"signing", kSigningEd25519}, {"key_id", key.key_id()}, {"public_key", Ed25519PublicKeyText(key.public_key())}};
  }
  return {{"secret", w.secret}};
}

json::object JwksJson(const std::vector<Webhook>& webhooks, int64_t now_ms) {
  json::array keys;
  std::set<std::string> listed;
  for (const Webhook& w : webhooks) {
    const bool rotating = !w.previous_secret.empty() && w.previous_secret_expires_at_ms > now_ms;
    for (const std::string* secret : {&w.secret, rotating ? &w.previous_secret : nullptr}) {
      if (!secret) continue;
      const Ed25519Key key(*secret);
      if (!key.valid() || !listed.insert(key.key_id()).second) continue;
      keys.push_back(json::object{{"kty", "OKP"},
                                  {"crv", "Ed25519"},
                                  {"x", Base64UrlEncode(key.public_key())},
                                  {"kid", key.key_id()},
                                  {"use", "sig"},
                                  {"alg", "EdDSA"}});
    }
  }
  return {{"keys", std::move(keys)}};
}

json::object EventJson(const Event& e) {
  json::object o{{"id", e.id},
                 {"type", e.type},
                 {"account_id", e.account_id},
                 {"environment", e.environment},
                 {"created", FormatRfc3339(e.created_at_ms)},
                 {"data", ParseJsonOrNull(e.data_json)}};
  if (!e.metadata_json.empty()) o["metadata"] = ParseJsonOrNull(e.metadata_json);
  return o;
}

json::object AcceptedEventJson(const AcceptedEvent& a) {
  return {{"id", a.event.id},
          {"type", a.event.type},
          {"created", FormatRfc3339(a.event.created_at_ms)},
          {"deliveries", a.delivery_count}};
}

json::object DeliveryJson(const Delivery& d) {
  json::object o{{"id", d.id},
                 {"account_id", d.account_id.empty() ? json::value(nullptr) : json::value(d.account_id)},
                 {"event_id", d.event_id},
                 {"event_type", d.event_type},
                 {"webhook_id", d.webhook_id},
                 {"status", ToString(d.status)},
                 {"attempt_count", d.attempt_count},
                 {"retry_count", std::max(0, d.attempt_count - 1)},
                 {"created_at", FormatRfc3339(d.created_at_ms)}};
  o["next_attempt_at"] = Time(d.completed_at_ms ? std::nullopt : d.next_attempt_at_ms);
  o["completed_at"] = Time(d.completed_at_ms);
  o["latency_ms"] = OptInt(d.latency_ms);
  o["last_response_status"] = d.last_response_status ? json::value(*d.last_response_status) : json::value(nullptr);
  o["last_response_time_ms"] = OptInt(d.last_response_time_ms);
  o["last_error"] = d.last_error.empty() ? json::value(nullptr) : json::value(d.last_error);
  o["webhook_deleted"] = d.webhook_deleted;
  return o;
}

json::object AttemptJson(const Attempt& a) {
  json::object o{{"id", a.id},
                 {"number", a.number},
                 {"started_at", FormatRfc3339(a.started_at_ms)},
                 {"response_time_ms", a.response_time_ms},
                 {"request_headers", ParseJsonOrNull(a.request_headers_json)},
                 {"request_body", a.request_body},
                 {"request_body_truncated", a.request_body_truncated},
                 {"response_headers", ParseJsonOrNull(a.response_headers_json)},
                 {"response_body", a.response_body},
                 {"response_body_truncated", a.response_body_truncated},
                 {"success", a.success}};
  o["response_status"] = a.response_status ? json::value(*a.response_status) : json::value(nullptr);
  o["error"] = a.error.empty() ? json::value(nullptr) : json::value(a.error);
  return o;
}

json::object EventTypeJson(const EventType& t) {
  return {{"type", t.type}, {"category", t.category}, {"description", t.description}, {"custom", t.custom}};
}

json::object CatalogJson(const std::vector<EventType>& types) {
  json::array categories;
  std::vector<std::string> order;
  std::map<std::string, json::array> by_category;
  for (const EventType& t : types) {
    if (!by_category.count(t.category)) order.push_back(t.category);
    by_category[t.category].push_back(json::object{{"type", t.type}, {"description", t.description}});
  }
  for (const std::string& name : order) {
    categories.push_back(json::object{{"name", name}, {"events", std::move(by_category[name])}});
  }
  return {{"categories", std::move(categories)}};
}

}  // namespace hookd
