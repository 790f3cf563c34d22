// The egress proxy (SPEC §10, --egress-proxy): an HTTP proxy every outbound request leaves through, so that
// receivers see a fixed set of source addresses. hookd never hands the proxy a host name: it resolves the URL,
// applies the SSRF guard itself, and asks for a tunnel to the checked address (`CONNECT 203.0.113.7:443`,
// delivery/http_client.cc), so a name cannot be re-resolved by the proxy to somewhere the guard refused; TLS inside
// the tunnel still verifies the URL's host name. Pure: this reads the flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

struct EgressProxy {
  std::string host;  // name or address, without IPv6 brackets
  uint16_t port = 0;
  std::string user;      // from the URL's user info (percent-decoded); with `password` they become a Basic
  std::string password;  // Proxy-Authorization. Never logged.
  bool has_credentials = false;
};

// Parses `http://[user:password@]host:port[/]`. Nullopt for any other form (another scheme, a path, no port);
// `error` then says why.
[[nodiscard]] std::optional<EgressProxy> ParseEgressProxy(std::string_view url, std::string* error = nullptr);

}  // namespace hookd
