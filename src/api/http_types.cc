// The error envelope of SPEC §3: {"error": {"code", "message", "details": [{"field", "message"}]}}.
#include "api/http_types.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>

#include "common/ids.h"
#include "common/json.h"
#include "common/text.h"
#include "common/utf8.h"

namespace hookd {

std::string HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

const std::string* HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

HttpResponse JsonResponse(int status, const json::value& body) {
  HttpResponse r;
  r.status = status;
  r.body = SerializeJson(body);
  // Strings may echo a request's path or query, or a receiver's response body, which can hold any bytes. In
  // serialized JSON a byte at or above 0x80 stands only inside a string, so replacing ill-formed sequences there
  // keeps the document valid JSON and makes it valid UTF-8.
  if (!IsValidUtf8(r.body)) r.body = ToValidUtf8(r.body);
  return r;
}

HttpResponse ErrorResponse(const Error& error) {
  json::object e;
  e["code"] = error.code;
  e["message"] = error.message;
  if (!error.details.empty()) {
    json::array details;
    for (const FieldError& d : error.details)
      details.push_back(json::object{{"field", d.field}, {"message", d.message}});
    e["details"] = std::move(details);
  }
  return JsonResponse(error.HttpStatus(), json::object{{"error", std::move(e)}});
}

HttpResponse EmptyResponse(int status) {
  HttpResponse r;
  r.status = status;
  r.content_type.clear();
  return r;
}

Result<json::object> ReadJsonBody(const HttpRequest& request, bool optional) {
  std::string type = request.Header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  AsciiLowerInPlace(type);
  const bool json_like = type.empty() || type == "application/json" || type == "text/plain" ||
                         type == "application/x-www-form-urlencoded" ||
                         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
  if (!json_like) {
    return Fail(
        Error{ErrorKind::kUnsupportedMedia, "unsupported_media_type", "request bodies must be application/json", {}});
  }
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (optional) return json::object{};
    return Fail(Error::Malformed("request body is empty; expected a JSON object"));
  }
  return ParseJsonObject(request.body);
}

bool ParseTarget(std::string_view target, HttpRequest& into) {
  auto url = boost::urls::parse_origin_form(boost::core::string_view(target.data(), target.size()));
  if (!url) return false;
  into.path = url->path();
  for (auto param : url->params()) into.query[param.key] = param.value;
  return true;
}

std::string RequestIdFor(std::string_view given) {
  const bool usable = !given.empty() && given.size() <= 128 && std::all_of(given.begin(), given.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  return usable ? std::string(given) : NewId("req_");
}

}  // namespace hookd
