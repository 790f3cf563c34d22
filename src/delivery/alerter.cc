// SMTP through libcurl: MAIL FROM / RCPT TO from the settings and the account, the message uploaded from memory.
#include "delivery/alerter.h"

#include <curl/curl.h>
#include <pthread.h>

#include <cstring>
#include <memory>

#include "common/ids.h"
#include "common/log.h"
#include "common/time_util.h"

namespace hookd {
namespace {

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t len = std::min(size * n, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

std::string RfcDate(int64_t now_ms) {
  char buf[64];
  const time_t t = static_cast<time_t>(now_ms / 1000);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm_utc);
  return buf;
}

// Header values come from user data (URLs, names): keep them on one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

std::string BuildDisabledAlert(const SmtpSettings& smtp, const std::string& to, const Webhook& webhook,
                               const std::string& reason, int64_t now_ms) {
  const std::string label = webhook.name.empty() ? webhook.url : webhook.name + " (" + webhook.url + ")";
  std::string m;
  m += "Date: " + RfcDate(now_ms) + "\r\n";
  m += "From: hookd <" + smtp.from + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Message-ID: <" + NewId("msg_") + "@hookd>\r\n";
  m += "Subject: " + OneLine("[hookd] Webhook disabled: " + label.substr(0, 200)) + "\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  m += "Your webhook has been disabled and will receive no events until it is enabled again.\r\n\r\n";
  m += "Webhook: " + OneLine(webhook.id) + "\r\n";
  m += "URL: " + OneLine(webhook.url) + "\r\n";
  m += "Reason: " + OneLine(reason) + "\r\n";
  m += "Disabled at: " + FormatRfc3339(now_ms) + "\r\n\r\n";
  m += "Fix the endpoint, then enable the webhook again (PATCH /api/v1/webhooks/" + webhook.id +
       " with {\"active\": true}, or the toggle in /settings/webhooks). Events it missed can be re-sent with "
       "POST /api/v1/webhooks/" +
       webhook.id + "/replay.\r\n";
  return m;
}

Alerter::Alerter(Store& store, SmtpSettings smtp, const Clock& clock, Metrics* metrics)
    : store_(store), smtp_(std::move(smtp)), clock_(clock), metrics_(metrics), thread_([this] { Loop(); }) {}

Alerter::~Alerter() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void Alerter::WebhookDisabled(const std::string& webhook_id, const std::string& reason) {
  {
    MutexLock lock(&mu_);
    queue_.push_back({webhook_id, reason});
  }
  cv_.Signal();
}

void Alerter::Loop() {
  pthread_setname_np(pthread_self(), "hookd-alerter");
  for (;;) {
    QueuedAlert alert;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait();
      if (queue_.empty()) return;
      alert = std::move(queue_.front());
      queue_.pop_front();
    }
    Send(alert);
  }
}

void Alerter::Send(const QueuedAlert& alert) {
  auto webhook = store_.GetWebhookById(alert.webhook_id);
  if (!webhook) return;
  auto account = store_.GetAccount(webhook->account_id);
  const std::string to = account ? account->email : "";
  const LogFields fields{{"webhook_id", alert.webhook_id}, {"reason", alert.reason}};
  if (smtp_.url.empty() || smtp_.from.empty() || to.empty()) {
    LogWarn("webhook disabled; no alert email sent (needs --smtp-url, --smtp-from and an account email)", fields);
    return;
  }
  Upload upload{BuildDisabledAlert(smtp_, to, *webhook, alert.reason, clock_.NowMs()), 0};
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, smtp_.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_FROM, ("<" + smtp_.from + ">").c_str());
  curl_easy_setopt(curl.get(), CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 30'000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(rcpt);
  if (metrics_) metrics_->AlertEmail(rc == CURLE_OK);
  if (rc != CURLE_OK) {
    LogError("sending the alert email failed", {{"webhook_id", alert.webhook_id}, {"error", curl_easy_strerror(rc)}});
  } else {
    LogInfo("alert email sent", fields);
  }
}

}  // namespace hookd
