// Maps (method, path) to a registered route. Patterns are paths whose "{name}" segments capture one segment
// each; when several patterns match, the one with the most literal segments wins. A path known under another
// method is a 405, an unknown path a 404. Immutable after setup, so Find is thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/http_types.h"

namespace hookd {

using PathParams = std::map<std::string, std::string>;

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    std::string summary;
    std::vector<std::string> segments;
  };
  struct Match {
    size_t route_index = 0;
    PathParams params;
  };

  // Registers a route; returns its index.
  size_t Add(std::string method, std::string pattern, std::string summary);
  [[nodiscard]] Result<Match> Find(const std::string& method, const std::string& path) const;
  [[nodiscard]] const std::vector<Route>& Routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace hookd
