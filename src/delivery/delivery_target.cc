// Boost.URL's RFC 3986 parser; ports are read with the same rule the webhook URL check uses.
#include "delivery/delivery_target.h"

#include <boost/url/parse.hpp>

#include "common/text.h"
#include "domain/webhook_rules.h"

namespace hookd {

std::optional<DeliveryTarget> ParseDeliveryTarget(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  DeliveryTarget t;
  t.scheme = AsciiLower(u.scheme());
  t.tls = t.scheme == "https";
  t.host = u.host_address();  // IPv6 without its brackets
  if (t.host.empty()) return std::nullopt;
  t.port = t.tls ? 443 : 80;
  if (u.has_port()) {
    const std::optional<uint16_t> port = ParsePort(u.port());
    if (!port) return std::nullopt;
    t.port = *port;
  }
  t.host_header = std::string(u.encoded_host_and_port());
  t.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
  t.origin = t.scheme + "://" + std::string(u.encoded_host()) + ":" + std::to_string(t.port);
  return t;
}

}  // namespace hookd
