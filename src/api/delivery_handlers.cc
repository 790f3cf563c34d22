// Deliveries: the account-wide log and single deliveries with their attempts.
#include "api/api.h"
#include "api/json_mapping.h"
#include "common/ids.h"

namespace hookd {

Delivery Api::WithLiveStatus(Delivery delivery) const {
  if (!delivery.completed_at_ms && in_flight_.IsInFlight(delivery.id)) delivery.status = DeliveryStatus::kDelivering;
  return delivery;
}

HttpResponse Api::RenderDeliveries(const std::string& account_id, DeliveryFilter filter, const HttpRequest& request) {
  auto page = ParsePageRequest(request, "dlv_");
  if (!page) return ErrorResponse(page.error());
  if (const std::string* status = request.Query("status"); status && !status->empty()) {
    filter.status = ParseDeliveryStatus(*status);
    if (!filter.status) {
      return ErrorResponse(Error::Invalid("status", "must be pending, delivering, succeeded, failed or dead"));
    }
  }
  auto range = ParseTimeRangeQuery(request, clock_.NowMs());
  if (!range) return ErrorResponse(range.error());
  filter.since_ms = range->since_ms;
  filter.until_ms = range->until_ms;
  auto deliveries = store_.ListDeliveries(account_id, filter, *page);
  if (!deliveries) return ErrorResponse(deliveries.error());
  return JsonResponse(200,
                      PageJson(*deliveries, [this](const Delivery& d) { return DeliveryJson(WithLiveStatus(d)); }));
}

HttpResponse Api::ListDeliveries(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto account_id = ActingAccount(request, principal);
  if (!account_id) return ErrorResponse(account_id.error());
  DeliveryFilter filter;
  if (const std::string* webhook = request.Query("webhook_id")) filter.webhook_id = *webhook;
  if (const std::string* type = request.Query("event_type")) filter.event_type = *type;
  return RenderDeliveries(*account_id, std::move(filter), request);
}

HttpResponse Api::GetDelivery(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto target = ResolvePath(request, params, principal, "dlv_", "delivery");
  if (!target) return ErrorResponse(target.error());
  auto delivery = store_.GetDelivery(target->account_id, target->id);
  if (!delivery) return ErrorResponse(delivery.error());
  json::object out = DeliveryJson(WithLiveStatus(*delivery));
  json::array attempts;
  for (const Attempt& a : delivery->attempts) attempts.push_back(AttemptJson(a));
  out["attempts"] = std::move(attempts);
  return JsonResponse(200, out);
}

}  // namespace hookd
