// Boost.URL reads the flag.
#include "common/egress_proxy.h"

#include <boost/url/parse.hpp>
#include <charconv>

#include "common/text.h"

namespace hookd {

namespace {

std::optional<EgressProxy> Refuse(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

std::optional<EgressProxy> ParseEgressProxy(std::string_view url, std::string* error) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return Refuse(error, "must be a URL like http://proxy.internal:3128");
  const auto& u = *parsed;
  if (AsciiLower(u.scheme()) != "http") return Refuse(error, "must start with http:// (hookd tunnels with CONNECT)");
  if (u.host_address().empty()) return Refuse(error, "must name the proxy's host");
  const std::string_view digits = u.port();
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (!u.has_port() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return Refuse(error, "must give the proxy's port (1 to 65535), e.g. http://proxy.internal:3128");
  }
  if (!(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_query() || u.has_fragment()) {
    return Refuse(error, "must have no path, query or fragment");
  }
  EgressProxy proxy;
  proxy.host = u.host_address();
  proxy.port = static_cast<uint16_t>(port);
  if (u.has_userinfo()) {
    proxy.user = u.user();
    proxy.password = u.password();
    proxy.has_credentials = true;
  }
  return proxy;
}

}  // namespace hookd
