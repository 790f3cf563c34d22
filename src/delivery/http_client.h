// The outbound HTTP client: HTTP/1.1 over Boost.Beast/Asio on one thread that calls Poll() in a loop. Keeps
// connections alive per origin, enforces a whole-request deadline, follows no redirects, keeps at most 10 KiB of
// each response body, limits protocols to HTTPS (and HTTP when allowed), requires TLS >= 1.2 with the peer's
// certificate and host name verified, and runs the SSRF guard on every address it connects to.
//
// Thread-safety: Start and Poll must be called from the owning thread; Wakeup may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/model.h"

namespace hookd {

struct OutboundRequest {
  std::string url;
  HeaderList headers;
  std::string body;
  int64_t timeout_ms = 30'000;
};

struct OutboundResponse {
  std::optional<int> status;  // nullopt when no response arrived
  HeaderList headers;
  std::string body;
  bool body_truncated = false;
  std::string error;  // "" on a response; "timeout", "connection_refused", "dns", "tls", "blocked_address", ...
  std::string error_detail;
  int64_t elapsed_ms = 0;

  [[nodiscard]] bool Success() const { return status && *status >= 200 && *status < 300; }
  // The value of a response header (case-insensitive name), or "".
  [[nodiscard]] std::string Header(std::string_view name) const;
};

struct HttpClientOptions {
  bool allow_http = false;
  bool allow_private_networks = false;
  size_t max_connections = 4096;
};

class HttpClient {
 public:
  using Done = std::function<void(OutboundResponse)>;

  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Begins a POST; `done` runs on the polling thread when it finishes.
  void Start(OutboundRequest request, Done done);
  // Waits up to `timeout_ms` for sockets, timers or a wakeup, then runs what is ready: finished requests call
  // their `done` from inside Poll.
  void Poll(int timeout_ms);
  // Interrupts a Poll in progress. Thread-safe.
  void Wakeup();
  [[nodiscard]] size_t InFlight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a Retry-After header value (delta-seconds or an HTTP date) into milliseconds from `now_ms`.
[[nodiscard]] std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms);

}  // namespace hookd
