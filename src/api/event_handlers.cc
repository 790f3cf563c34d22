// Events (single and batch, with idempotency keys), the event catalog and custom event types.
#include "api/api.h"
#include "api/event_input.h"
#include "api/json_mapping.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "domain/operational.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

Error Prefixed(Error e, const std::string& prefix) {
  if (prefix.empty()) return e;
  for (FieldError& d : e.details) d.field = prefix + d.field;
  e.message = prefix + e.message;
  return e;
}

}  // namespace

Result<NewEvent> Api::ParseNewEvent(const json::object& body, const std::string& prefix, const Principal& principal,
                                    const HttpRequest& request) {
  auto account_id = ActingAccount(request, principal, &body);
  if (!account_id) return Fail(Prefixed(account_id.error(), prefix));
  auto input = ReadEventFields(body, prefix, catalog_, clock_.NowMs());
  if (input) input->event.account_id = *account_id;
  return input;
}

void Api::CreateEvent(const HttpRequest& request, const PathParams&, const Principal& principal, Respond respond) {
  auto body = ReadJsonBody(request);
  if (!body) return respond(ErrorResponse(body.error()));
  auto input = ParseNewEvent(*body, "", principal, request);
  if (!input) return respond(ErrorResponse(input.error()));
  const std::string key = request.Header("idempotency-key");
  if (!key.empty()) {
    if (auto problem = CheckIdempotencyKey(key)) {
      return respond(ErrorResponse(Error::Invalid("Idempotency-Key", *problem)));
    }
    input->idempotency_key = key;
  }
  std::vector<NewEvent> inputs;
  inputs.push_back(std::move(*input));
  AcceptEventsAndRespond(std::move(inputs), /*batch=*/false, std::move(respond));
}

void Api::CreateEventBatch(const HttpRequest& request, const PathParams&, const Principal& principal, Respond respond) {
  auto body = ReadJsonBody(request);
  if (!body) return respond(ErrorResponse(body.error()));
  auto events = body->find("events");
  if (events == body->end() || !events->value().is_array()) {
    return respond(ErrorResponse(Error::Invalid("events", "is required: an array of 1 to 1000 events")));
  }
  const json::array& items = events->value().as_array();
  if (items.empty() || items.size() > kMaxBatchEvents) {
    return respond(ErrorResponse(Error::Invalid("events", "must have 1 to 1000 events")));
  }
  std::vector<NewEvent> inputs;
  inputs.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string prefix = "events[" + std::to_string(i) + "].";
    if (!items[i].is_object()) {
      return respond(ErrorResponse(Error::Invalid(prefix.substr(0, prefix.size() - 1), "must be an object")));
    }
    json::object item = items[i].as_object();
    if (principal.admin && !item.contains("account_id")) {
      if (auto top = body->find("account_id"); top != body->end()) item["account_id"] = top->value();
    }
    auto input = ParseNewEvent(item, prefix, principal, request);
    if (!input) return respond(ErrorResponse(input.error()));
    inputs.push_back(std::move(*input));
  }
  AcceptEventsAndRespond(std::move(inputs), /*batch=*/true, std::move(respond));
}

// The answer is built on the store's writer thread right after the commit, from the accepted events alone (no other
// API state is touched there): it is small, and building it there saves every event a thread hop.
void Api::AcceptEventsAndRespond(std::vector<NewEvent> inputs, bool batch, Respond respond) {
  store_.AcceptEventsAsync(std::move(inputs),
                           [this, batch, respond = std::move(respond)](Result<std::vector<AcceptedEvent>> accepted) {
                             if (!accepted) return respond(ErrorResponse(accepted.error()));
                             work_.Enqueue(*accepted);
                             json::array data;
                             for (const AcceptedEvent& a : *accepted) {
                               if (!a.replayed) {
                                 metrics_.EventsAccepted(1, a.deliveries.size());
                               }
                               if (batch) data.push_back(AcceptedEventJson(a));
                             }
                             if (batch) return respond(JsonResponse(202, json::object{{"data", std::move(data)}}));
                             const AcceptedEvent& a = accepted->front();
                             HttpResponse response = JsonResponse(202, AcceptedEventJson(a));
                             if (a.replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
                             respond(std::move(response));
                           });
}

HttpResponse Api::ListEvents(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto account_id = ActingAccount(request, principal);
  if (!account_id) return ErrorResponse(account_id.error());
  auto page = ParsePageRequest(request, "evt_");
  if (!page) return ErrorResponse(page.error());
  EventFilter filter;
  if (const std::string* type = request.Query("type")) filter.type = *type;
  auto range = ParseTimeRangeQuery(request, clock_.NowMs());
  if (!range) return ErrorResponse(range.error());
  filter.since_ms = range->since_ms;
  filter.until_ms = range->until_ms;
  auto events = store_.ListEvents(*account_id, filter, *page);
  if (!events) return ErrorResponse(events.error());
  return JsonResponse(200, PageJson(*events, EventJson));
}

HttpResponse Api::GetEvent(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  auto target = ResolvePath(request, params, principal, "evt_", "event");
  if (!target) return ErrorResponse(target.error());
  auto event = store_.GetEvent(target->account_id, target->id);
  if (!event) return ErrorResponse(event.error());
  auto deliveries = store_.ListDeliveriesOfEvent(target->id);
  if (!deliveries) return ErrorResponse(deliveries.error());
  json::object out = EventJson(*event);
  json::array list;
  for (Delivery& d : *deliveries) {
    if (d.account_id != target->account_id) continue;  // to the admin's operational webhooks: not the account's
    list.push_back(DeliveryJson(WithLiveStatus(std::move(d))));
  }
  out["deliveries"] = std::move(list);
  return JsonResponse(200, out);
}

// ---- catalog ----

HttpResponse Api::AvailableEvents(const HttpRequest&, const PathParams&, const Principal&) {
  // What a webhook may subscribe to: not the operational types, which only operational webhooks hear.
  std::vector<EventType> types = catalog_.All();
  std::erase_if(types, [](const EventType& t) { return IsOperationalType(t.type); });
  return JsonResponse(200, CatalogJson(types));
}

HttpResponse Api::ListEventTypes(const HttpRequest&, const PathParams&, const Principal&) {
  json::array data;
  for (const EventType& t : catalog_.All()) data.push_back(EventTypeJson(t));
  return JsonResponse(200, json::object{{"data", std::move(data)}, {"next_cursor", nullptr}});
}

HttpResponse Api::CreateEventType(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  EventType t;
  auto type = body->find("type");
  if (type == body->end() || !type->value().is_string() ||
      !IsWellFormedEventType(std::string(type->value().as_string()))) {
    return ErrorResponse(Error::Invalid("type", "must be a name like invoice.voided ([a-z0-9_.], with a dot)"));
  }
  t.type = std::string(type->value().as_string());
  auto category = body->find("category");
  if (category == body->end() || !category->value().is_string() || category->value().as_string().empty() ||
      category->value().as_string().size() > 64) {
    return ErrorResponse(Error::Invalid("category", "must be a string of 1 to 64 characters"));
  }
  t.category = std::string(category->value().as_string());
  if (auto d = body->find("description"); d != body->end() && !d->value().is_null()) {
    if (!d->value().is_string() || d->value().as_string().size() > 1024) {
      return ErrorResponse(Error::Invalid("description", "must be a string of at most 1024 characters"));
    }
    t.description = std::string(d->value().as_string());
  }
  if (catalog_.IsBuiltIn(t.type)) {
    return ErrorResponse(Error::Conflict("already_exists", "'" + t.type + "' is a built-in event type"));
  }
  if (auto st = store_.CreateCustomEventType(t, ActorOf(request, principal)); !st) return ErrorResponse(st.error());
  ReloadEventTypes();
  t.custom = true;
  return JsonResponse(201, EventTypeJson(t));
}

HttpResponse Api::DeleteEventType(const HttpRequest& request, const PathParams& params, const Principal& principal) {
  const std::string& type = params.at("type");
  if (catalog_.IsBuiltIn(type)) {
    return ErrorResponse(Error::Conflict("built_in", "built-in event types cannot be deleted"));
  }
  if (auto st = store_.DeleteCustomEventType(type, ActorOf(request, principal)); !st) return ErrorResponse(st.error());
  ReloadEventTypes();
  return EmptyResponse(204);
}

}  // namespace hookd
