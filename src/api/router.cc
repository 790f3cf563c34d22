// Linear matching over a few dozen routes is fast enough and keeps precedence rules obvious.
#include "api/router.h"

namespace hookd {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();  // a trailing slash is ignored
  return out;
}

// Number of literal segments matched, or -1 when the pattern does not match.
int MatchScore(const std::vector<std::string>& pattern, const std::vector<std::string>& path, PathParams* params) {
  if (pattern.size() != path.size()) return -1;
  int literal = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (path[i].empty()) return -1;
      if (params) (*params)[p.substr(1, p.size() - 2)] = path[i];
    } else if (p == path[i]) {
      ++literal;
    } else {
      return -1;
    }
  }
  return literal;
}

}  // namespace

size_t Router::Add(std::string method, std::string pattern, std::string summary) {
  auto segments = Split(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(summary), std::move(segments)});
  return routes_.size() - 1;
}

Result<Router::Match> Router::Find(const std::string& method, const std::string& path) const {
  if (path.empty() || path.front() != '/') return Fail(Error::NotFound("no such path"));
  const auto segments = Split(path);
  const Route* best = nullptr;
  int best_score = -1;
  bool path_known = false;
  for (const Route& r : routes_) {
    const int score = MatchScore(r.segments, segments, nullptr);
    if (score < 0) continue;
    path_known = true;
    if (r.method == method && score > best_score) {
      best = &r;
      best_score = score;
    }
  }
  if (!best) {
    if (path_known) {
      return Fail(Error{ErrorKind::kMethodNotAllowed, "method_not_allowed", method + " is not allowed on " + path, {}});
    }
    return Fail(Error::NotFound("no such path: " + path));
  }
  Match match;
  match.route_index = static_cast<size_t>(best - routes_.data());
  (void)MatchScore(best->segments, segments, &match.params);
  return match;
}

}  // namespace hookd
