// How the engine sends an attempt: a POST that completes later, on the thread that polls. HttpClient is the real
// one (Beast over sockets); unit tests of the engine's rules script the responses instead.
//
// Thread-safety: Start and Poll are called from the owning thread; Wakeup from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/model.h"

namespace hookd {

// A webhook's own TLS settings for its connections (SPEC §10: a client certificate, a CA bundle), made once per
// webhook with its signing keys (request_builder.h).
struct OutboundTls {
  std::string id;  // names the settings: connections made with them are pooled apart from all others
  WebhookTls tls;
};

struct OutboundRequest {
  std::string url;
  HeaderList headers;
  std::string body;
  int64_t timeout_ms = 30'000;
  std::shared_ptr<const OutboundTls> tls;  // null: the system's trust store and no client certificate
};

struct OutboundResponse {
  std::optional<int> status;  // nullopt when no response arrived
  HeaderList headers;
  std::string body;
  bool body_truncated = false;
  // "" on a response; "timeout", "connection_refused", "dns", "tls", "blocked_address", "tls_client_cert_rejected",
  // "tls_server_untrusted", ...
  std::string error;
  std::string error_detail;
  int64_t elapsed_ms = 0;

  [[nodiscard]] bool Success() const { return status && *status >= 200 && *status < 300; }
  // The value of a response header (case-insensitive name), or "".
  [[nodiscard]] std::string Header(std::string_view name) const;
};

class Transport {
 public:
  using Done = std::function<void(OutboundResponse)>;

  virtual ~Transport() = default;
  // Begins a POST; `done` runs on the polling thread when it finishes.
  virtual void Start(OutboundRequest request, Done done) = 0;
  // Waits up to `timeout_ms` for sockets, timers or a wakeup, then runs what is ready: finished requests call
  // their `done` from inside Poll.
  virtual void Poll(int timeout_ms) = 0;
  // Interrupts a Poll in progress. Thread-safe.
  virtual void Wakeup() = 0;
  [[nodiscard]] virtual size_t InFlight() const = 0;
};

}  // namespace hookd
