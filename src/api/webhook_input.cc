// One block per field, in the order of SPEC §3's table. Read-only and unknown fields are ignored, so a client may
// send back an object it read.
#include "api/webhook_input.h"

#include "common/json.h"
#include "common/signing_scheme.h"
#include "crypto/ed25519.h"
#include "crypto/signing.h"
#include "crypto/tls_credentials.h"
#include "domain/operational.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

class FieldErrors {
 public:
  void Add(std::string field, std::string message) { errors_.push_back({std::move(field), std::move(message)}); }
  [[nodiscard]] Status ToStatus() const {
    if (errors_.empty()) return Ok();
    Error e{ErrorKind::kValidation, "validation_failed", "", errors_};
    e.message = errors_.front().field + ": " + errors_.front().message;
    if (errors_.size() > 1) e.message += " (and " + std::to_string(errors_.size() - 1) + " more)";
    return Fail(std::move(e));
  }

 private:
  std::vector<FieldError> errors_;
};

const json::value* Field(const json::object& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() ? nullptr : &it->value();
}

void ReadString(const json::object& body, const char* name, size_t max, std::string& out, FieldErrors& errors) {
  const json::value* v = Field(body, name);
  if (!v) return;
  if (v->is_null()) {
    out.clear();
  } else if (!v->is_string()) {
    errors.Add(name, "must be a string");
  } else if (v->as_string().size() > max) {
    errors.Add(name, "must be at most " + std::to_string(max) + " characters");
  } else {
    out = std::string(v->as_string());
  }
}

void ReadBool(const json::object& body, const char* name, bool& out, FieldErrors& errors) {
  const json::value* v = Field(body, name);
  if (!v) return;
  if (!v->is_bool()) {
    errors.Add(name, "must be true or false");
  } else {
    out = v->as_bool();
  }
}

}  // namespace

Status ApplyWebhookFields(const json::object& body, bool creating, const WebhookInputRules& rules,
                          const EventCatalog& catalog, Webhook& w) {
  FieldErrors errors;

  if (const json::value* v = Field(body, "url")) {
    if (!v->is_string()) {
      errors.Add("url", "must be a string");
    } else if (auto problem = CheckWebhookUrl(std::string(v->as_string()), rules.allow_http)) {
      errors.Add("url", *problem);
    } else {
      w.url = std::string(v->as_string());
    }
  } else if (creating) {
    errors.Add("url", "is required");
  }

  ReadString(body, "name", kMaxNameLength, w.name, errors);
  ReadString(body, "description", kMaxDescriptionLength, w.description, errors);

  if (const json::value* v = Field(body, "events")) {
    if (!v->is_array()) {
      errors.Add("events", "must be an array of event types");
    } else if (v->as_array().empty() || v->as_array().size() > kMaxSubscriptions) {
      errors.Add("events", "must have 1 to 100 entries");
    } else {
      std::vector<std::string> events;
      for (const json::value& item : v->as_array()) {
        if (!item.is_string()) {
          errors.Add("events", "entries must be strings");
          break;
        }
        std::string pattern(item.as_string());
        if (IsOperationalType(pattern)) {
          errors.Add("events", "'" + pattern + "' is sent to operational webhooks only (/operational-webhooks)");
          break;
        }
        if (!catalog.IsValidSubscription(pattern)) {
          errors.Add("events", "'" + pattern.substr(0, 128) +
                                   "' is not an event type of the catalog, a category.* "
                                   "wildcard, or \"*\"");
          break;
        }
        if (std::find(events.begin(), events.end(), pattern) == events.end()) events.push_back(std::move(pattern));
      }
      w.events = std::move(events);
    }
  } else if (creating) {
    errors.Add("events", "is required");
  }

  ReadBool(body, "active", w.active, errors);

  if (const json::value* v = Field(body, "environment")) {
    if (!v->is_string()) {
      errors.Add("environment", "must be a string");
    } else if (auto problem = CheckEnvironment(std::string(v->as_string()))) {
      errors.Add("environment", *problem);
    } else {
      w.environment = std::string(v->as_string());
    }
  }

  if (const json::value* v = Field(body, "rate_limit")) {
    if (v->is_null()) {
      w.rate_limit = rules.max_endpoint_rate;
    } else if (!v->is_int64() && !v->is_uint64()) {
      errors.Add("rate_limit", "must be an integer");
    } else {
      const int64_t rate =
          v->is_int64() ? v->as_int64() : static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), 1ULL << 40));
      if (rate < 1 || rate > rules.max_endpoint_rate) {
        errors.Add("rate_limit", "must be from 1 to " + std::to_string(rules.max_endpoint_rate) +
                                     " (this server's --max-endpoint-rate)");
      } else {
        w.rate_limit = static_cast<int>(rate);
      }
    }
  } else if (creating) {
    w.rate_limit = rules.max_endpoint_rate;
  }

  ReadBool(body, "ordered", w.ordered, errors);

  if (const json::value* v = Field(body, "payload_format")) {
    auto format = v->is_string() ? ParsePayloadFormat(std::string(v->as_string())) : std::nullopt;
    if (!format) {
      errors.Add("payload_format", "must be standard, event-data or event-payload");
    } else {
      w.payload_format = *format;
    }
  }

  if (const json::value* v = Field(body, "headers")) {
    if (v->is_null()) {
      w.headers.clear();
    } else if (!v->is_object()) {
      errors.Add("headers", "must be an object of header name to string value");
    } else if (v->as_object().size() > kMaxCustomHeaders) {
      errors.Add("headers", "must have at most 20 entries");
    } else {
      HeaderList headers;
      for (const auto& [name, value] : v->as_object()) {
        if (!value.is_string()) {
          errors.Add("headers", "values must be strings");
          break;
        }
        if (auto problem = CheckCustomHeader(name, std::string(value.as_string()))) {
          errors.Add("headers", *problem);
          break;
        }
        headers.emplace_back(std::string(name), std::string(value.as_string()));
      }
      w.headers = std::move(headers);
    }
  }

  if (const json::value* v = Field(body, "metadata")) {
    if (v->is_null()) {
      w.metadata_json = "{}";
    } else if (!v->is_object()) {
      errors.Add("metadata", "must be an object");
    } else {
      std::string text = SerializeJson(*v);
      if (text.size() > kMaxMetadataBytes) {
        errors.Add("metadata", "must be at most 16 KiB");
      } else {
        w.metadata_json = std::move(text);
      }
    }
  }

  if (creating) {
    if (const json::value* v = Field(body, "secret"); v && !v->is_null()) {
      if (!v->is_string() || !IsValidWebhookSecret(std::string(v->as_string()))) {
        errors.Add("secret", "must be whsec_ followed by base64 of 24 to 64 bytes");
      } else {
        w.secret = std::string(v->as_string());
      }
    }
  }

  if (const json::value* v = Field(body, "tls")) {  // replaced as a whole; null removes it
    WebhookTls tls;
    if (!v->is_null() && !v->is_object()) {
      errors.Add("tls", "must be an object with client_certificate, client_key and ca_certificates (PEM), or null");
    } else if (v->is_object()) {
      for (const auto& [name, out] :
           {std::pair{"client_certificate", &tls.client_certificate}, std::pair{"client_key", &tls.client_key},
            std::pair{"ca_certificates", &tls.ca_certificates}}) {
        const json::value* text = v->as_object().if_contains(name);
        if (text && !text->is_null() && !text->is_string()) {
          errors.Add(std::string("tls.") + name, "must be a PEM string");
        } else if (text && text->is_string()) {
          *out = std::string(text->as_string());
        }
      }
      for (FieldError& problem : CheckTlsCredentials(tls.client_certificate, tls.client_key, tls.ca_certificates)) {
        errors.Add(std::move(problem.field), std::move(problem.message));
      }
    }
    w.tls = std::move(tls);
  }

  if (const json::value* v = Field(body, "verification")) {
    auto verification = v->is_string() ? ParseWebhookVerification(std::string(v->as_string())) : std::nullopt;
    if (!verification) {
      errors.Add("verification", "must be none or handshake");
    } else {
      w.verification = *verification;
    }
  }

  if (const json::value* v = Field(body, "signing")) {
    const std::string_view scheme = v->is_string() ? std::string_view(v->as_string()) : std::string_view();
    if (scheme != kSigningHmacSha256 && scheme != kSigningEd25519) {
      errors.Add("signing", "must be hmac-sha256 or ed25519");
    } else if (scheme == kSigningEd25519 && creating && Field(body, "secret") && !Field(body, "secret")->is_null()) {
      errors.Add("secret", "an ed25519 webhook's key is made by hookd; omit secret");
    } else if (scheme != SigningSchemeOf(w.secret)) {
      // A new key of the other scheme; on a change, the old one signs alongside for the rotation's grace period.
      std::string next = scheme == kSigningEd25519 ? GenerateEd25519Secret() : GenerateWebhookSecret();
      if (creating) {
        w.secret = std::move(next);
      } else {
        RotateSecret(w, std::move(next), rules.now_ms);
      }
    }
  }
  return errors.ToStatus();
}

}  // namespace hookd
