// Alert emails (SPEC §4 auto-disable): when a webhook is disabled, its account's email gets a message through the
// configured SMTP server (libcurl speaks SMTP/SMTPS). Sending happens on the alerter's own thread so the delivery
// engine never waits on mail. Thread-safe; Notify never blocks on I/O.
#pragma once

#include <deque>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/mutex.h"
#include "delivery/disabled_webhook_sink.h"
#include "store/store.h"

namespace hookd {

struct SmtpSettings {
  std::string url;   // smtp://host:port or smtps://host:port; empty = alerts are only logged
  std::string from;  // sender address
};

// The message of a "webhook disabled" alert, as RFC 5322 text. Pure; exposed for tests.
[[nodiscard]] std::string BuildDisabledAlert(const SmtpSettings& smtp, const std::string& to, const Webhook& webhook,
                                             const std::string& reason, int64_t now_ms);

class Alerter final : public DisabledWebhookSink {
 public:
  Alerter(Store& store, SmtpSettings smtp, const Clock& clock, Metrics* metrics = nullptr);
  ~Alerter() override;  // sends what is queued, then stops

  // Queues the alert for `webhook_id` (looked up, with its account's email, on the alerter's thread).
  void WebhookDisabled(const std::string& webhook_id, const std::string& reason) override;

 private:
  struct QueuedAlert {
    std::string webhook_id;
    std::string reason;
  };
  void Loop();
  void Send(const QueuedAlert& alert);

  Store& store_;
  SmtpSettings smtp_;
  const Clock& clock_;
  Metrics* metrics_;
  Mutex mu_;
  CondVar cv_{&mu_};
  std::deque<QueuedAlert> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace hookd
