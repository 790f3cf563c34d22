// Operational notices: what each change says (hosts, never URLs' paths or secrets) and who hears it.
#include "domain/operational.h"

#include <algorithm>
#include <boost/url/parse.hpp>

#include "common/ids.h"
#include "domain/subscription.h"

namespace hookd {
namespace {

json::value OptStatus(std::optional<int> status) {
  return status ? json::value(*status) : json::value(nullptr);
}

OperationalNotice Notice(std::string_view type, const std::string& account_id, const std::string& webhook_id,
                         const std::string& url) {
  return OperationalNotice{std::string(type), account_id, {{"webhook_id", webhook_id}, {"host", UrlHost(url)}}};
}

}  // namespace

const std::vector<std::string_view>& OperationalTypes() {
  static const std::vector<std::string_view> types = {
      kEndpointFailing,       kEndpointDisabled, kEndpointRecovered, kEndpointCircuitOpened,
      kEndpointCircuitClosed, kEndpointUpdated,  kDeliveryDead};
  return types;
}

bool IsOperationalType(std::string_view type) {
  return std::ranges::find(OperationalTypes(), type) != OperationalTypes().end();
}

bool IsOperationalWebhookId(std::string_view id) {
  return id.starts_with(kOperationalIdPrefix);
}

std::string UrlHost(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return "";
  return std::string(parsed->encoded_host());
}

OperationalNotice EndpointFailingNotice(const std::string& account_id, const std::string& webhook_id,
                                        const std::string& url) {
  return Notice(kEndpointFailing, account_id, webhook_id, url);
}

OperationalNotice EndpointDisabledNotice(const std::string& account_id, const std::string& webhook_id,
                                         const std::string& url, const std::string& reason,
                                         std::optional<int> last_response_status) {
  OperationalNotice n = Notice(kEndpointDisabled, account_id, webhook_id, url);
  n.data["reason"] = reason;
  n.data["last_response_status"] = OptStatus(last_response_status);
  return n;
}

OperationalNotice EndpointRecoveredNotice(const std::string& account_id, const std::string& webhook_id,
                                          const std::string& url) {
  return Notice(kEndpointRecovered, account_id, webhook_id, url);
}

OperationalNotice CircuitNotice(std::string_view type, const std::string& account_id, const std::string& webhook_id,
                                const std::string& url) {
  return Notice(type, account_id, webhook_id, url);
}

std::optional<OperationalNotice> EndpointUpdatedNotice(const Webhook& before, const Webhook& after) {
  json::array changed;
  const std::string host_before = UrlHost(before.url);
  const std::string host_after = UrlHost(after.url);
  if (host_before != host_after) changed.push_back("url");
  if (before.secret != after.secret) changed.push_back("secret");
  if (changed.empty()) return std::nullopt;
  OperationalNotice n = Notice(kEndpointUpdated, after.account_id, after.id, after.url);
  n.data["changed"] = std::move(changed);
  n.data["previous_host"] = host_before;
  return n;
}

OperationalNotice DeliveryDeadNotice(const Delivery& delivery, std::optional<int> last_response_status,
                                     const std::string& last_error) {
  return OperationalNotice{std::string(kDeliveryDead),
                           delivery.account_id,
                           {{"webhook_id", delivery.webhook_id},
                            {"delivery_id", delivery.id},
                            {"event_id", delivery.event_id},
                            {"event_type", delivery.event_type},
                            {"attempt_count", delivery.attempt_count},
                            {"last_response_status", OptStatus(last_response_status)},
                            {"last_error", last_error.empty() ? json::value(nullptr) : json::value(last_error)}}};
}

bool FailingNoticeDue(std::optional<int64_t> last_sent_ms, int64_t now_ms) {
  return !last_sent_ms || now_ms - *last_sent_ms >= kFailingNoticeWindowMs;
}

bool OperationalWebhookHears(const OperationalWebhook& endpoint, const OperationalNotice& notice) {
  return endpoint.active && (endpoint.account_id.empty() || endpoint.account_id == notice.account_id) &&
         MatchesAnyPattern(endpoint.events, notice.type);
}

Event OperationalEvent(const OperationalNotice& notice, int64_t now_ms) {
  Event e;
  e.id = NewId("evt_");
  e.account_id = notice.account_id;
  e.type = notice.type;
  e.data_json = SerializeJson(notice.data);
  e.created_at_ms = now_ms;
  return e;
}

Webhook OperationalDeliveryTarget(const OperationalWebhook& endpoint) {
  Webhook w;
  w.id = endpoint.id;
  w.account_id = endpoint.account_id;
  w.url = endpoint.url;
  w.description = endpoint.description;
  w.events = endpoint.events;
  w.active = endpoint.active;
  w.status = endpoint.active ? WebhookStatus::kHealthy : WebhookStatus::kDisabled;
  w.secret = endpoint.secret;
  w.created_at_ms = endpoint.created_at_ms;
  w.updated_at_ms = endpoint.updated_at_ms;
  return w;
}

}  // namespace hookd
