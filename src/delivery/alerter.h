// Alert emails (SPEC §4 auto-disable): when a webhook is disabled, its account's email gets a message through the
// configured SMTP server (libcurl speaks SMTP/SMTPS). Sending happens on the alerter's own thread so the delivery
// engine never waits on mail. Thread-safe; Notify never blocks on I/O.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"

namespace hookd {

struct SmtpSettings {
  std::string url;   // smtp://host:port or smtps://host:port; empty = alerts are only logged
  std::string from;  // sender address
};

// The message of a "webhook disabled" alert, as RFC 5322 text. Pure; exposed for tests.
[[nodiscard]] std::string BuildDisabledAlert(const SmtpSettings& smtp, const std::string& to, const Webhook& webhook,
                                             const std::string& reason, int64_t now_ms);

class Alerter {
 public:
  Alerter(Store& store, SmtpSettings smtp);
  ~Alerter();  // sends what is queued, then stops

  // Queues the alert for `webhook_id` (looked up, with its account's email, on the alerter's thread).
  void WebhookDisabled(const std::string& webhook_id, const std::string& reason);

 private:
  struct Pending {
    std::string webhook_id;
    std::string reason;
  };
  void Loop();
  void Send(const Pending& alert);

  Store& store_;
  SmtpSettings smtp_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
