// The outbound HTTP client: libcurl multi, driven by one thread that calls Poll() in a loop. Reuses connections,
// enforces a whole-request timeout, follows no redirects, keeps at most 10 KiB of each response body, limits
// protocols to HTTPS (and HTTP when allowed), requires TLS >= 1.2, and runs the SSRF guard on every address it
// connects to.
//
// Thread-safety: Start and Poll must be called from the owning thread; Wakeup may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
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
  // Waits up to `timeout_ms` (less when curl has a timeout due) for sockets to be ready or a wakeup, then drives
  // the ready transfers and completes the finished ones.
  void Poll(int timeout_ms);
  // Interrupts a Poll in progress. Thread-safe.
  void Wakeup();
  [[nodiscard]] size_t InFlight() const { return in_flight_; }

 private:
  struct Transfer;
  void* NewHandle();  // a CURL* with the options every delivery shares
  void Finish(Transfer* transfer, int curl_code);
  // libcurl's callbacks: watch `socket` for `what` (CURL_POLL_*); the next timeout is due in `timeout_ms`.
  static int OnSocket(void* easy, int socket, int what, void* user, void* socket_data);
  static int OnTimer(void* multi, long timeout_ms, void* user);

  HttpClientOptions options_;
  void* multi_;  // CURLM*
  int epoll_fd_ = -1;
  int wake_fd_ = -1;          // an eventfd in the epoll set, for Wakeup
  int64_t timer_due_ms_ = -1;  // steady-clock ms when curl wants CURL_SOCKET_TIMEOUT; -1 = none
  size_t in_flight_ = 0;
  std::unordered_map<void*, std::unique_ptr<Transfer>> transfers_;  // by CURL* handle, while running
  std::vector<void*> idle_handles_;                                 // CURL* kept for reuse
};

// Parses a Retry-After header value (delta-seconds or an HTTP date) into milliseconds from `now_ms`.
[[nodiscard]] std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms);

}  // namespace hookd
