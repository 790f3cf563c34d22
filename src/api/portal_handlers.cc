// Portal sessions (SPEC §3, §8): a platform's backend asks for a short-lived link that signs one of its customers'
// browsers into the web UI for that customer's account, with `manage` or `read` access. The token is returned once
// and only its hash is stored; it travels in the URL's fragment, which browsers never send to a server, so it cannot
// reach an access log.
#include <boost/url/parse.hpp>

#include "api/api.h"
#include "api/json_mapping.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/time_util.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

constexpr int64_t kDefaultTtlMs = 3'600'000;
constexpr int64_t kMaxTtlMs = 24 * kDefaultTtlMs;
constexpr size_t kMaxReturnUrl = 2048;

// A link the UI may show as "back": an absolute http(s) URL (never javascript: or data:).
bool IsReturnUrl(std::string_view text) {
  if (text.size() > kMaxReturnUrl) return false;
  auto url = boost::urls::parse_absolute_uri(text);
  return url && (url->scheme() == "https" || url->scheme() == "http") && url->has_authority() && !url->host().empty();
}

// A Host header fit to build a URL from: a host name or bracketed address with an optional port, nothing else.
bool IsHostHeader(std::string_view host) {
  return !host.empty() && host.size() <= 260 &&
         host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
             std::string_view::npos;
}

}  // namespace

Result<std::string> Api::PublicBaseUrl(const HttpRequest& request) const {
  if (!config_.public_url.empty()) return config_.public_url;
  const std::string host = request.Header("host");
  if (!IsHostHeader(host)) {
    return Fail(Error::Invalid("Host", "cannot build a link from this Host header; start hookd with --public-url"));
  }
  return (request.Header("x-forwarded-proto") == "https" ? "https://" : "http://") + host;
}

HttpResponse Api::CreatePortalSession(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto account_id = ActingAccount(request, principal, &*body);
  if (!account_id) return ErrorResponse(account_id.error());
  PortalSession session;
  session.id = NewId("ps_");
  session.account_id = *account_id;
  int64_t ttl_ms = kDefaultTtlMs;
  if (const json::value* ttl = body->if_contains("ttl"); ttl && !ttl->is_null()) {
    auto parsed = ttl->is_string() ? ParseDurationMs(std::string(ttl->as_string())) : std::nullopt;
    if (!parsed || *parsed < 1000 || *parsed > kMaxTtlMs) {
      return ErrorResponse(Error::Invalid("ttl", "must be a duration from 1s to 24h, such as \"1h\""));
    }
    ttl_ms = *parsed;
  }
  if (const json::value* access = body->if_contains("access"); access && !access->is_null()) {
    auto parsed = access->is_string() ? ParsePortalAccess(std::string(access->as_string())) : std::nullopt;
    if (!parsed) return ErrorResponse(Error::Invalid("access", "must be manage or read"));
    session.access = *parsed;
  }
  if (const json::value* back = body->if_contains("return_url"); back && !back->is_null()) {
    if (!back->is_string() || !IsReturnUrl(back->as_string())) {
      return ErrorResponse(Error::Invalid("return_url", "must be an absolute http:// or https:// URL"));
    }
    session.return_url = std::string(back->as_string());
  }
  auto base = PublicBaseUrl(request);
  if (!base) return ErrorResponse(base.error());
  session.created_at_ms = clock_.NowMs();
  session.expires_at_ms = session.created_at_ms + ttl_ms;
  const std::string token = std::string(kPortalTokenPrefix) + HexEncode(RandomBytes(32));
  auto created = store_.CreatePortalSession(session, Sha256Hex(token), ActorOf(request, principal));
  if (!created) return ErrorResponse(created.error());
  json::object out = PortalSessionJson(*created);
  out["token"] = token;  // shown once; only its hash is stored
  out["url"] = *base + "/settings/webhooks#portal=" + token;
  return JsonResponse(201, out);
}

HttpResponse Api::GetCurrentPortalSession(const HttpRequest& request, const PathParams&, const Principal& principal) {
  if (!principal.portal) return ErrorResponse(Error::NotFound("signed in with an API key, not a portal link"));
  auto session = store_.FindPortalSessionByHash(Sha256Hex(request.Header("authorization").substr(7)));
  if (!session) return ErrorResponse(session.error());
  if (!*session) return ErrorResponse(Error::Unauthorized("this portal link was revoked"));
  return JsonResponse(200, PortalSessionJson(**session));
}

HttpResponse Api::RevokePortalSession(const HttpRequest& request, const PathParams& params,
                                      const Principal& principal) {
  auto target = ResolvePath(request, params, principal, "ps_", "portal session");
  if (!target) return ErrorResponse(target.error());
  if (auto st = store_.RevokePortalSession(target->account_id, target->id, ActorOf(request, principal)); !st)
    return ErrorResponse(st.error());
  credentials_.Clear();  // the token stops working at once (other processes hear of it from the store)
  return EmptyResponse(204);
}

}  // namespace hookd
