// The web UI's routes: "/" redirects to /settings/webhooks, which serves the single-page app; /ui/* serves its
// embedded assets. Also /api/v1/server-info, the server rules the UI shows (HTTP allowed, rate cap, schedule).
#include "api/api.h"
#include "common/version.h"
#include "ui/assets.h"

namespace hookd {
namespace {

// The UI loads only its own files and talks only to this origin.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

HttpResponse AssetResponse(const UiAsset& asset) {
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", "no-cache"}};
  return r;
}

const UiAsset* FindAsset(std::string_view path) {
  for (const UiAsset& a : UiAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace

HttpResponse Api::RedirectToUi(const HttpRequest&, const PathParams&, const Principal&) {
  HttpResponse r = EmptyResponse(302);
  r.headers.emplace_back("Location", "/settings/webhooks");
  return r;
}

HttpResponse Api::UiIndex(const HttpRequest&, const PathParams&, const Principal&) {
  const UiAsset* index = FindAsset("/ui/index.html");
  if (!index) return ErrorResponse(Error::NotFound("the UI is not built into this binary"));
  return AssetResponse(*index);
}

HttpResponse Api::UiFile(const HttpRequest& request, const PathParams&, const Principal&) {
  const UiAsset* asset = FindAsset(request.path);
  if (!asset) return ErrorResponse(Error::NotFound("no such file"));
  return AssetResponse(*asset);
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
