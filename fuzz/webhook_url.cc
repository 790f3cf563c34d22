// Fuzzes webhook URL validation, the delivery client's URL parse and the SSRF address check. Properties: a URL the
// API accepts always parses for delivery, to a port from 1 to 65535; the SSRF check never crashes on any address
// bytes, and an IPv4 address gets the same verdict bare and mapped into IPv6.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "delivery/delivery_target.h"
#include "delivery/ssrf_guard.h"
#include "domain/webhook_rules.h"
#include "fuzz_checks.h"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const bool allow_http : {false, true}) {
    if (CheckWebhookUrl(text, allow_http)) continue;
    const auto target = ParseDeliveryTarget(text);
    fuzz::Check(target.has_value(), "an accepted webhook URL does not parse for delivery", text);
    fuzz::Check(target->port > 0 && !target->host.empty(), "an accepted webhook URL has no host or port", text);
    fuzz::Check(target->tls || allow_http, "an http:// URL was accepted without --allow-http", text);
    (void)IsBlockedAddressText(target->host);
  }
  (void)IsBlockedAddressText(text);

  if (size >= 4) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, data, 4);
    sockaddr_in6 mapped{};
    mapped.sin6_family = AF_INET6;
    mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&mapped.sin6_addr.s6_addr[12], data, 4);
    fuzz::Check(IsBlockedAddress(reinterpret_cast<const sockaddr*>(&v4)) ==
                    IsBlockedAddress(reinterpret_cast<const sockaddr*>(&mapped)),
                "an IPv4 address and its IPv4-mapped IPv6 form get different verdicts");
  }
  if (size >= 16) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, data, 16);
    (void)IsBlockedAddress(reinterpret_cast<const sockaddr*>(&v6));
  }
  return 0;
}
