// URL checks use Boost.URL's RFC 3986 parser; header checks follow RFC 9110 token rules.
#include "domain/webhook_rules.h"

#include <boost/url/parse.hpp>
#include <cctype>

#include "common/signing_scheme.h"

namespace hookd {

std::optional<uint16_t> ParsePort(std::string_view digits) {
  uint32_t port = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  if (port == 0) return std::nullopt;
  return static_cast<uint16_t>(port);
}

std::optional<std::string> CheckWebhookUrl(std::string_view url, bool allow_http) {
  if (url.empty()) return "is required";
  if (url.size() > kMaxUrlLength) return "must be at most 2048 characters";
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return "must be an absolute URL";
  const std::string scheme = parsed->scheme();
  if (scheme != "https" && !(allow_http && scheme == "http")) {
    return allow_http ? "must use https:// or http://" : "must use https:// (http:// is not allowed on this server)";
  }
  if (!parsed->has_authority() || parsed->encoded_host().empty()) return "must have a host";
  if (parsed->has_port() && !ParsePort(parsed->port())) return "must have a port from 1 to 65535";
  if (parsed->has_fragment()) return "must not have a #fragment";
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "must not contain spaces or control characters";
  }
  return std::nullopt;
}

std::optional<std::string> CheckEnvironment(std::string_view environment) {
  if (environment.empty() || environment.size() > 32) return "must be 1 to 32 characters of [a-z0-9-]";
  for (char c : environment) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return "must match [a-z0-9-]{1,32}";
  }
  return std::nullopt;
}

std::optional<std::string> CheckCustomHeader(std::string_view name, std::string_view value) {
  static constexpr std::string_view kRefused[] = {"connection",
                                                  "keep-alive",
                                                  "proxy-authenticate",
                                                  "proxy-authorization",
                                                  "te",
                                                  "trailer",
                                                  "trailers",
                                                  "transfer-encoding",
                                                  "upgrade",
                                                  "host",
                                                  "content-length",
                                                  "content-type",
                                                  "user-agent",
                                                  "webhook-id",
                                                  "webhook-timestamp",
                                                  "webhook-signature",
                                                  "x-webhook-signature",
                                                  "x-webhook-id",
                                                  "x-webhook-event",
                                                  "x-webhook-attempt"};
  if (name.empty() || name.size() > 256) return "header names must be 1 to 256 characters";
  std::string lower;
  for (char c : name) {
    const bool token = std::isalnum(static_cast<unsigned char>(c)) ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return "header name '" + std::string(name) + "' has characters not allowed in a header name";
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::string_view refused : kRefused) {
    if (lower == refused) return "header '" + std::string(name) + "' is set by hookd and cannot be overridden";
  }
  if (value.size() > 4096) return "header values must be at most 4096 characters";
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return "header values must not contain line breaks";
  }
  return std::nullopt;
}

void RotateSecret(Webhook& w, std::string next, int64_t now_ms) {
  w.previous_secret = std::move(w.secret);
  w.previous_secret_expires_at_ms = now_ms + kSecretRotationGraceMs;
  w.secret = std::move(next);
}

json::object WebhookSettingsJson(const Webhook& w, std::optional<std::string_view> header_value) {
  json::array events(w.events.begin(), w.events.end());
  json::object headers;
  for (const auto& [name, value] : w.headers) headers[name] = header_value ? *header_value : std::string_view(value);
  return json::object{
      {"url", w.url},
      {"name", w.name},
      {"description", w.description},
      {"events", std::move(events)},
      {"active", w.active},
      {"environment", w.environment},
      {"rate_limit", w.rate_limit},
      {"ordered", w.ordered},
      {"payload_format", ToString(w.payload_format)},
      {"signing", SigningSchemeOf(w.secret)},
      {"verification", ToString(w.verification)},
      {"headers", std::move(headers)},
      {"metadata", ParseJsonOrNull(w.metadata_json)},
  };
}

}  // namespace hookd
