// {"tls": {"client_certificate", "client_key", "ca_certificates"}}; members are added, never renamed.
#include "domain/endpoint_credentials.h"

#include "common/json.h"

namespace hookd {

std::string CredentialsJson(const Webhook& w) {
  if (w.tls.empty()) return "";
  return SerializeJson(json::object{{"tls", json::object{{"client_certificate", w.tls.client_certificate},
                                                         {"client_key", w.tls.client_key},
                                                         {"ca_certificates", w.tls.ca_certificates}}}});
}

Status ReadCredentialsJson(std::string_view text, Webhook& w) {
  const json::value doc = ParseJsonOrNull(text);
  const json::object* o = doc.if_object();
  if (!o) return Fail(Error::Internal("webhook " + w.id + " has unreadable credentials"));
  w.tls = WebhookTls{};
  if (const json::value* tls = o->if_contains("tls"); tls && tls->is_object()) {
    auto text_of = [&](const char* name) {
      const json::value* v = tls->as_object().if_contains(name);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    w.tls.client_certificate = text_of("client_certificate");
    w.tls.client_key = text_of("client_key");
    w.tls.ca_certificates = text_of("ca_certificates");
  }
  return Ok();
}

}  // namespace hookd
