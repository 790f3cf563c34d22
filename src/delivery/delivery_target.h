// Where a webhook's URL points, split for connecting (scheme, host, port) and for the request line (Host header,
// path and query). The URL checks of webhook_rules.h and this parse agree: a URL they accept always parses here,
// to the port it was checked for. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

struct DeliveryTarget {
  std::string scheme;  // lower case
  bool tls = false;
  std::string host;  // name or address, without IPv6 brackets
  uint16_t port = 0;
  std::string host_header;
  std::string path;    // path and query
  std::string origin;  // the connection pool's key
};

// Nullopt when `url` is not an absolute URL with a host and a valid port.
[[nodiscard]] std::optional<DeliveryTarget> ParseDeliveryTarget(std::string_view url);

}  // namespace hookd
