// SSRF guard (SPEC §7): decides whether an address hookd is about to connect to is off-limits — loopback,
// RFC 1918, link-local (incl. 169.254.169.254), CGNAT, ULA, multicast, unspecified, and IPv4 embedded in IPv6.
// Checked on the address actually connected to, after DNS, so DNS rebinding cannot slip past it. Pure.
#pragma once

#include <sys/socket.h>

#include <string_view>

namespace hookd {

[[nodiscard]] bool IsBlockedAddress(const sockaddr* address);
// The same for a textual IPv4/IPv6 address; unparsable text counts as blocked.
[[nodiscard]] bool IsBlockedAddressText(std::string_view ip);

}  // namespace hookd
