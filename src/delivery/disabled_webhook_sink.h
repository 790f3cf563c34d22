// Where the engine reports a webhook it disabled (410 Gone, or too many dead deliveries in a row), once the disable
// is durable: the Alerter emails the account; tests record the calls. Implementations must be thread-safe and
// must not block (the engine calls it on its own thread).
#pragma once

#include <string>

namespace hookd {

class DisabledWebhookSink {
 public:
  virtual ~DisabledWebhookSink() = default;
  virtual void WebhookDisabled(const std::string& webhook_id, const std::string& reason) = 0;
};

}  // namespace hookd
