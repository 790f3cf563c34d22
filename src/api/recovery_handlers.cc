// Manual recovery (retry a delivery, replay an event, bulk retry and replay for a webhook). Bulk operations work in
// pages of kBulkPage rows, each its own short transaction, so 100k deliveries never hold the writer for long.
#include "api/api.h"
#include "api/json_mapping.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "domain/delivery_rules.h"
#include "domain/subscription.h"

namespace hookd {
namespace {

constexpr int kBulkPage = 1000;

// An optional time field of a JSON body: RFC 3339, or a duration meaning "that long ago".
Result<std::optional<int64_t>> TimeField(const json::object& body, const char* name, int64_t now_ms) {
  auto it = body.find(name);
  if (it == body.end() || it->value().is_null()) return std::optional<int64_t>();
  if (!it->value().is_string()) return Fail(Error::Invalid(name, "must be an RFC 3339 time string"));
  auto ms = ParseTimeBound(std::string(it->value().as_string()), now_ms);
  if (!ms) return Fail(Error::Invalid(name, "must be an RFC 3339 time (2026-01-31T12:00:00Z) or a duration (24h)"));
  return std::optional<int64_t>(*ms);
}

struct TimeRange {
  int64_t since_ms = 0;
  int64_t until_ms = 0;
};

// A bulk operation's record names what it was asked: the range (null for an open end) and any other parameters.
json::object AskedFields(const json::object& body, json::object fields) {
  for (const char* name : {"since", "until"}) {
    const json::value* v = body.if_contains(name);
    fields[name] = v ? *v : json::value(nullptr);
  }
  return fields;
}

Result<TimeRange> RangeOf(const json::object& body, int64_t now_ms) {
  auto since = TimeField(body, "since", now_ms);
  if (!since) return Fail(since.error());
  auto until = TimeField(body, "until", now_ms);
  if (!until) return Fail(until.error());
  TimeRange range{since->value_or(0), until->value_or(now_ms + 1)};
  if (range.until_ms <= range.since_ms) return Fail(Error::Invalid("until", "must be after since"));
  return range;
}

}  // namespace

Result<int64_t> Api::RunInPages(const std::function<Result<BulkChunk>(const std::string& after)>& page) {
  int64_t total = 0;
  std::string after;
  do {
    auto chunk = page(after);
    if (!chunk) return Fail(chunk.error());
    work_.EnqueueDeliveries(chunk->deliveries);  // each page is durable before its deliveries are scheduled
    total += static_cast<int64_t>(chunk->deliveries.size());
    after = chunk->next_after;
  } while (!after.empty());
  return total;
}

HttpResponse Api::RetryDelivery(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto target = ResolvePath(request, params, principal, "dlv_", "delivery");
  if (!target) return ErrorResponse(target.error());
  auto delivery = store_.ReopenDelivery(target->account_id, target->id, ActorOf(request, principal));
  if (!delivery) return ErrorResponse(delivery.error());
  work_.EnqueueDeliveries({*delivery});
  return JsonResponse(202, DeliveryJson(*delivery));
}

HttpResponse Api::ReplayEvent(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto target = ResolvePath(request, params, principal, "evt_", "event", &*body);
  if (!target) return ErrorResponse(target.error());
  const std::string& account_id = target->account_id;
  auto event = store_.GetEvent(account_id, target->id);
  if (!event) return ErrorResponse(event.error());
  std::vector<std::string> targets;
  json::value asked_webhook = nullptr;
  if (auto it = body->find("webhook_id"); it != body->end() && !it->value().is_null()) {
    if (!it->value().is_string()) return ErrorResponse(Error::Invalid("webhook_id", "must be a string"));
    const std::string webhook_id(it->value().as_string());
    if (!IsWellFormedId(webhook_id, "wh_")) return ErrorResponse(Error::NotFound("webhook not found"));
    auto webhook = store_.GetWebhook(account_id, webhook_id);
    if (!webhook) return ErrorResponse(webhook.error());
    if (!webhook->active) return ErrorResponse(Error::Conflict("webhook_disabled", "the webhook is disabled"));
    if (!ReplayReaches(*webhook, *event)) {
      return ErrorResponse(Error::Invalid("webhook_id", "the webhook does not subscribe to this event"));
    }
    targets.push_back(webhook_id);
    asked_webhook = webhook_id;
  } else {
    // Every active webhook of the account that receives the event, however many pages they take.
    WebhookFilter filter;
    filter.active = true;
    filter.environment = event->environment;
    PageRequest page;
    page.limit = kBulkPage;
    do {
      auto webhooks = store_.ListWebhooks(account_id, filter, page);
      if (!webhooks) return ErrorResponse(webhooks.error());
      for (const Webhook& w : webhooks->data) {
        if (ReplayReaches(w, *event)) {  // active: the filter's
          targets.push_back(w.id);
        }
      }
      page.cursor = webhooks->next_cursor.value_or("");
    } while (!page.cursor.empty());
  }
  // A page of webhooks at a time, each page durable before its deliveries are scheduled.
  const AuditRecord record = CreatedRecord(ActorOf(request, principal), account_id, "event.replayed", "event",
                                           event->id, {{"webhook_id", asked_webhook}});
  json::array data;
  for (size_t start = 0; start < targets.size(); start += kBulkPage) {
    const std::vector<std::string> chunk(
        targets.begin() + static_cast<std::ptrdiff_t>(start),
        targets.begin() + static_cast<std::ptrdiff_t>(std::min(targets.size(), start + kBulkPage)));
    auto created = store_.CreateDeliveries(*event, chunk, start == 0 ? &record : nullptr);
    if (!created) return ErrorResponse(created.error());
    work_.EnqueueDeliveries(*created);
    for (const Delivery& d : *created) data.push_back(DeliveryJson(d));
  }
  return JsonResponse(202, json::object{{"data", std::move(data)}});
}

HttpResponse Api::RetryWebhookDeliveries(const HttpRequest& request, const PathParams& params,
                                         const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  auto range = RangeOf(*body, clock_.NowMs());
  if (!range) return ErrorResponse(range.error());
  std::vector<DeliveryStatus> statuses{DeliveryStatus::kFailed, DeliveryStatus::kDead};
  if (auto it = body->find("status"); it != body->end() && !it->value().is_null()) {
    const auto status =
        it->value().is_string() ? ParseDeliveryStatus(std::string(it->value().as_string())) : std::nullopt;
    if (status != DeliveryStatus::kFailed && status != DeliveryStatus::kDead) {
      return ErrorResponse(Error::Invalid("status", "must be failed or dead"));
    }
    statuses = {*status};
  }
  if (const std::string* dry = request.Query("dry_run"); dry && *dry == "true") {
    auto count = store_.CountDeliveries(webhook->id, statuses, range->since_ms, range->until_ms);
    if (!count) return ErrorResponse(count.error());
    return JsonResponse(200, json::object{{"count", *count}});
  }
  json::array status_names;
  for (DeliveryStatus s : statuses) status_names.push_back(json::value(ToString(s)));
  const AuditRecord record =
      CreatedRecord(ActorOf(request, principal), webhook->account_id, "webhook.deliveries_retried", "webhook",
                    webhook->id, AskedFields(*body, {{"status", std::move(status_names)}}));
  auto retried = RunInPages([&](const std::string& after) {
    return store_.ReopenDeliveries(webhook->id, statuses, range->since_ms, range->until_ms, after, kBulkPage,
                                   after.empty() ? &record : nullptr);
  });
  if (!retried) return ErrorResponse(retried.error());
  return JsonResponse(202, json::object{{"retried", *retried}});
}

HttpResponse Api::ReplayWebhook(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto body = ReadJsonBody(request, true);
  if (!body) return ErrorResponse(body.error());
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  if (!webhook->active) return ErrorResponse(Error::Conflict("webhook_disabled", "enable the webhook first"));
  auto range = RangeOf(*body, clock_.NowMs());
  if (!range) return ErrorResponse(range.error());
  const AuditRecord record = CreatedRecord(ActorOf(request, principal), webhook->account_id, "webhook.replayed",
                                           "webhook", webhook->id, AskedFields(*body, {}));
  auto replayed = RunInPages([&](const std::string& after) {
    return store_.ReplayEvents(*webhook, range->since_ms, range->until_ms, after, kBulkPage,
                               after.empty() ? &record : nullptr);
  });
  if (!replayed) return ErrorResponse(replayed.error());
  return JsonResponse(202, json::object{{"replayed", *replayed}});
}

}  // namespace hookd
