// Delivery statistics (SPEC §3 /stats): the period, its buckets and the webhook asked for, answered from the
// rollup (domain/delivery_stats.h), for an account or one of its webhooks.
#include "api/api.h"
#include "api/json_mapping.h"
#include "common/time_util.h"

namespace hookd {
namespace {

// The most series buckets a query may ask for.
constexpr int64_t kMaxStatsBuckets = 10'000;

json::object StatsRowJson(const DeliveryStatsRow& r) {
  json::object o{{"total", r.total}, {"succeeded", r.succeeded}, {"failed", r.failed},
                 {"dead", r.dead},   {"pending", r.pending},     {"avg_attempts", r.avg_attempts}};
  o["success_rate"] = r.total ? static_cast<double>(r.succeeded) / static_cast<double>(r.total) : 0.0;
  o["p50_latency_ms"] = r.p50_latency_ms ? json::value(*r.p50_latency_ms) : json::value(nullptr);
  o["p95_latency_ms"] = r.p95_latency_ms ? json::value(*r.p95_latency_ms) : json::value(nullptr);
  return o;
}

}  // namespace

HttpResponse Api::RenderStats(const HttpRequest& request, const std::string& account_id,
                              const std::string& webhook_id) {
  const int64_t now = clock_.NowMs();
  const std::string since_text = request.Query("since") ? *request.Query("since") : "24h";
  auto since = ParseTimeBound(since_text, now);
  if (!since) return ErrorResponse(Error::Invalid("since", "must be a duration (24h) or an RFC 3339 time"));
  if (*since > now) return ErrorResponse(Error::Invalid("since", "must not be in the future"));
  int64_t until = now;
  if (const std::string* text = request.Query("until")) {
    auto parsed = ParseTimeBound(*text, now);
    if (!parsed) return ErrorResponse(Error::Invalid("until", "must be a duration (1h) or an RFC 3339 time"));
    if (*parsed <= *since) return ErrorResponse(Error::Invalid("until", "must be after since"));
    until = std::min(*parsed, now);
  }
  std::optional<int64_t> bucket_ms;
  if (const std::string* bucket = request.Query("bucket")) {
    auto ms = ParseDurationMs(*bucket);
    if (!ms || *ms < kStatsMinuteMs)
      return ErrorResponse(Error::Invalid("bucket", "must be a duration of at least 1m"));
    if ((until - *since) / *ms > kMaxStatsBuckets) {
      return ErrorResponse(Error::Invalid("bucket", "makes more than " + std::to_string(kMaxStatsBuckets) +
                                                        " buckets in the period: choose a wider one"));
    }
    bucket_ms = *ms;
  }
  // Minute cells are kept as long as the delivery log; older periods are answered by the hour.
  StatsQuery query{account_id, webhook_id, PlanStats(*since, until, bucket_ms, now - config_.retention_ms)};
  auto stats = store_.Stats(query);
  if (!stats) return ErrorResponse(stats.error());
  auto rows = [](const std::vector<DeliveryStatsRow>& rows, const char* key_name) {
    json::array out;
    for (const auto& r : rows) {
      json::object o = StatsRowJson(r);
      o[key_name] = r.key;
      out.push_back(std::move(o));
    }
    return out;
  };
  json::object out = StatsRowJson(stats->overall);
  out["since"] = FormatRfc3339(query.plan.since_ms);
  out["until"] = FormatRfc3339(query.plan.until_ms);
  out["bucket_ms"] = query.plan.bucket_ms;
  out["event_types"] = rows(stats->by_event_type, "event_type");
  out["webhooks"] = rows(stats->by_webhook, "webhook_id");
  out["series"] = rows(stats->series, "time");
  return JsonResponse(200, out);
}

HttpResponse Api::AccountStats(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto account_id = ActingAccount(request, principal);
  if (!account_id) return ErrorResponse(account_id.error());
  return RenderStats(request, *account_id, "");
}

HttpResponse Api::WebhookStats(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto webhook = LoadWebhook(request, params, principal);
  if (!webhook) return ErrorResponse(webhook.error());
  return RenderStats(request, webhook->account_id, webhook->id);
}

}  // namespace hookd
