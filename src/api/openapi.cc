// Serving the embedded OpenAPI document and comparing its operations with the router's.
#include "api/openapi.h"

#include <set>

#include "common/json.h"
#include "common/text.h"

namespace hookd {

std::string OpenApiDocument(std::string_view version) {
  json::value doc = json::parse(OpenApiText());
  doc.as_object()["info"].as_object()["version"] = version;
  return SerializeJson(doc);
}

std::vector<std::string> OpenApiMismatches(const std::vector<Router::Route>& routes) {
  static constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
  std::set<std::string> documented;
  const json::value doc = json::parse(OpenApiText());
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (std::string_view method : kMethods) {
      if (item.as_object().contains(method)) documented.insert(std::string(method) + " " + std::string(path));
    }
  }
  std::vector<std::string> mismatches;
  for (const Router::Route& route : routes) {
    const std::string name = AsciiLower(route.method) + " " + route.pattern;
    // The root only redirects to the web UI: an operation without a 2XX answer stops the common client
    // generators (openapi-typescript among them), so the document leaves it out.
    if (name == "get /") continue;
    if (documented.erase(name) == 0) mismatches.push_back(name + ": not in the document");
  }
  for (const std::string& name : documented) mismatches.push_back(name + ": no such route");
  return mismatches;
}

}  // namespace hookd
