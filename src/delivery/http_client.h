// The outbound HTTP client: HTTP/1.1 over Boost.Beast/Asio on one thread that calls Poll() in a loop. Keeps
// connections alive per origin, enforces a whole-request deadline, follows no redirects, keeps at most 10 KiB of
// each response body, limits protocols to HTTPS (and HTTP when allowed), requires TLS >= 1.2 with the peer's
// certificate and host name verified, and runs the SSRF guard on every address it connects to, directly or through
// the egress proxy.
//
// Thread-safety: Start and Poll must be called from the owning thread; Wakeup may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/egress_proxy.h"
#include "delivery/transport.h"
#include "domain/model.h"

namespace hookd {

struct HttpClientOptions {
  bool allow_http = false;
  bool allow_private_networks = false;
  size_t max_connections = 4096;
  std::optional<EgressProxy> egress_proxy;  // every connection tunnels through it (egress_proxy.h)
};

class HttpClient final : public Transport {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void Start(OutboundRequest request, Done done) override;
  void Poll(int timeout_ms) override;
  void Wakeup() override;
  [[nodiscard]] size_t InFlight() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a Retry-After header value (delta-seconds or an HTTP date) into milliseconds from `now_ms`.
[[nodiscard]] std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms);

}  // namespace hookd
