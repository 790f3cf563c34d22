// Boost.JSON's compiled part lives in this translation unit (header-only mode), so no Boost library is linked.
#include <boost/json/src.hpp>

#include "common/json.h"

namespace hookd {

std::string JsonQuote(std::string_view s) { return json::serialize(json::string_view(s.data(), s.size())); }

Result<json::object> ParseJsonObject(std::string_view body) {
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  if (ec) return Fail(Error::Malformed("request body is not valid JSON: " + ec.message()));
  if (!v.is_object()) return Fail(Error::Invalid("body", "must be a JSON object"));
  return std::move(v.as_object());
}

json::value ParseJsonOrNull(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  return ec ? json::value(nullptr) : v;
}

}  // namespace hookd
