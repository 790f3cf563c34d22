// The web UI's routes: "/" redirects to /settings/webhooks, which serves the single-page app; /ui/* serves its
// embedded assets. Also /api/v1/server-info, the server rules the UI shows (HTTP allowed, rate cap, schedule).
#include "api/api.h"
#include "common/version.h"
#include "ui/assets.h"

namespace hookd {
namespace {

HttpResponse AssetResponse(const UiAsset& asset, const HeaderList& headers) {
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.headers = headers;
  return r;
}

const UiAsset* FindAsset(std::string_view path) {
  for (const UiAsset& a : UiAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace

HeaderList UiSecurityHeaders(const std::vector<std::string>& allowed_origins) {
  // The UI loads only its own files and talks only to this origin; it may be framed only by the origins the
  // operator allowed (a platform embedding it in its settings page), and by nobody when there are none.
  std::string ancestors;
  for (const std::string& origin : allowed_origins) ancestors += (ancestors.empty() ? "" : " ") + origin;
  HeaderList headers = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors " +
           (ancestors.empty() ? std::string("'none'") : ancestors) +
           "; base-uri 'none'; form-action 'self'; object-src 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"}};
  if (ancestors.empty()) headers.emplace_back("X-Frame-Options", "DENY");  // for browsers without frame-ancestors
  return headers;
}

HttpResponse Api::RedirectToUi(const HttpRequest&, const PathParams&, const Principal&) {
  HttpResponse r = EmptyResponse(302);
  r.headers.emplace_back("Location", "/settings/webhooks");
  return r;
}

HttpResponse Api::UiIndex(const HttpRequest&, const PathParams&, const Principal&) {
  const UiAsset* index = FindAsset("/ui/index.html");
  if (!index) return ErrorResponse(Error::NotFound("the UI is not built into this binary"));
  return AssetResponse(*index, ui_headers_);
}

HttpResponse Api::UiFile(const HttpRequest& request, const PathParams&, const Principal&) {
  const UiAsset* asset = FindAsset(request.path);
  if (!asset) {
    HttpResponse missing = ErrorResponse(Error::NotFound("no such file"));
    missing.headers.insert(missing.headers.end(), ui_headers_.begin(), ui_headers_.end());
    return missing;
  }
  return AssetResponse(*asset, ui_headers_);
}

HttpResponse Api::ServerInfo(const HttpRequest&, const PathParams&, const Principal&) {
  json::array schedule;
  for (int64_t ms : config_.retry_schedule_ms) schedule.push_back(ms);
  return JsonResponse(200, json::object{{"version", kVersion},
                                        {"allow_http", config_.allow_http},
                                        {"max_endpoint_rate", config_.max_endpoint_rate},
                                        {"retry_schedule_ms", std::move(schedule)},
                                        {"attempt_timeout_ms", config_.attempt_timeout_ms}});
}

}  // namespace hookd
