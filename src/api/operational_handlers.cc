// /api/v1/operational-webhooks (SPEC §9): the platform's own endpoints that hear what happens to its customers'
// endpoints. An account's key manages its own; the admin token manages every one, and one it creates without
// `account_id` hears every account. Portal sessions cannot reach them (they are the platform's, not its customers').
#include <algorithm>
#include <array>

#include "api/api.h"
#include "api/json_mapping.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "crypto/signing.h"
#include "domain/webhook_rules.h"

namespace hookd {
namespace {

constexpr size_t kMaxOperationalWebhooksPerOwner = 10;
constexpr size_t kMaxDescription = 512;

json::object OperationalWebhookJson(const OperationalWebhook& w, bool include_secret) {
  json::array events;
  for (const std::string& e : w.events) events.push_back(json::value(e));
  json::object o{{"id", w.id},
                 {"account_id", w.account_id.empty() ? json::value(nullptr) : json::value(w.account_id)},
                 {"url", w.url},
                 {"description", w.description},
                 {"events", std::move(events)},
                 {"active", w.active},
                 {"created_at", FormatRfc3339(w.created_at_ms)},
                 {"updated_at", FormatRfc3339(w.updated_at_ms)}};
  if (include_secret) o["secret"] = w.secret;
  return o;
}

// Applies the writable fields of `body` to `w`: url, events, description, active. `creating` requires url and events.
Status ApplyOperationalFields(const json::object& body, bool creating, bool allow_http, OperationalWebhook& w) {
  static constexpr std::array<std::string_view, 5> kFields = {"url", "events", "description", "active", "account_id"};
  for (const auto& [name, value] : body) {
    if (std::ranges::find(kFields, std::string_view(name)) == kFields.end() || (!creating && name == "account_id")) {
      return Fail(Error::Invalid(std::string(name), "is not a field of an operational webhook"));
    }
  }
  if (const json::value* url = body.if_contains("url"); url || creating) {
    if (!url || !url->is_string()) return Fail(Error::Invalid("url", "is required and must be a string"));
    const std::string text(url->as_string());
    if (auto problem = CheckWebhookUrl(text, allow_http)) return Fail(Error::Invalid("url", *problem));
    w.url = text;
  }
  if (const json::value* events = body.if_contains("events"); events || creating) {
    if (!events || !events->is_array() || events->as_array().empty() ||
        events->as_array().size() > OperationalTypes().size()) {
      return Fail(Error::Invalid("events", "must list 1 to 7 operational event types, or [\"*\"]"));
    }
    w.events.clear();
    for (const json::value& e : events->as_array()) {
      if (!e.is_string() || (e.as_string() != "*" && !IsOperationalType(std::string_view(e.as_string())))) {
        return Fail(Error::Invalid("events",
                                   "entries must be operational event types (endpoint.failing, "
                                   "endpoint.disabled, endpoint.recovered, endpoint.circuit_opened, "
                                   "endpoint.circuit_closed, endpoint.updated, delivery.dead) or \"*\""));
      }
      w.events.emplace_back(e.as_string());
    }
  }
  if (const json::value* description = body.if_contains("description")) {
    if (!description->is_string() || description->as_string().size() > kMaxDescription) {
      return Fail(Error::Invalid("description", "must be a string of at most 512 bytes"));
    }
    w.description = std::string(description->as_string());
  }
  if (const json::value* active = body.if_contains("active")) {
    if (!active->is_bool()) return Fail(Error::Invalid("active", "must be true or false"));
    w.active = active->as_bool();
  }
  return Ok();
}

}  // namespace

Result<OperationalWebhook> Api::LoadOperationalWebhook(const PathParams& params, const Principal& principal) {
  const std::string& id = params.at("id");
  if (!IsWellFormedId(id, kOperationalIdPrefix)) return Fail(Error::NotFound("operational webhook not found"));
  auto w = store_.GetOperationalWebhook(id);
  if (!w) return Fail(w.error());
  if (!principal.admin && w->account_id != principal.account_id) {
    return Fail(Error::NotFound("operational webhook not found"));
  }
  return w;
}

HttpResponse Api::CreateOperationalWebhook(const HttpRequest& request, const PathParams&, const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  OperationalWebhook w;
  if (principal.admin) {
    if (const json::value* account = body->if_contains("account_id"); account && !account->is_null()) {
      if (!account->is_string()) return ErrorResponse(Error::Invalid("account_id", "must be a string"));
      w.account_id = std::string(account->as_string());
      if (!IsWellFormedId(w.account_id, "acc_")) return ErrorResponse(Error::NotFound("account not found"));
    }
  } else {
    if (body->contains("account_id")) return ErrorResponse(Error::Invalid("account_id", "is for the admin token"));
    w.account_id = principal.account_id;
  }
  if (auto st = ApplyOperationalFields(*body, true, config_.allow_http, w); !st) return ErrorResponse(st.error());
  auto existing = store_.ListOperationalWebhooks(w.account_id);
  if (!existing) return ErrorResponse(existing.error());
  if (existing->size() >= kMaxOperationalWebhooksPerOwner) {
    return ErrorResponse(Error::Conflict("too_many_operational_webhooks", "at most 10 operational webhooks each"));
  }
  w.id = NewId(kOperationalIdPrefix);
  w.secret = GenerateWebhookSecret();
  w.created_at_ms = w.updated_at_ms = clock_.NowMs();
  auto created = store_.CreateOperationalWebhook(w);
  if (!created) return ErrorResponse(created.error());
  return JsonResponse(201, OperationalWebhookJson(*created, true));
}

HttpResponse Api::ListOperationalWebhooks(const HttpRequest& request, const PathParams&, const Principal& principal) {
  std::optional<std::string> owner = principal.account_id;
  if (!principal.admin && request.Query("account_id")) {
    return ErrorResponse(Error::BadRequest("account_id is for the admin token"));
  }
  if (principal.admin) {
    const std::string* account = request.Query("account_id");
    owner = account ? std::optional<std::string>(*account) : std::nullopt;
  }
  auto list = store_.ListOperationalWebhooks(owner);
  if (!list) return ErrorResponse(list.error());
  json::array data;
  for (const OperationalWebhook& w : *list) data.push_back(OperationalWebhookJson(w, false));
  return JsonResponse(200, json::object{{"data", std::move(data)}});
}

HttpResponse Api::GetOperationalWebhook(const HttpRequest&, const PathParams& params, const Principal& principal) {
  auto w = LoadOperationalWebhook(params, principal);
  if (!w) return ErrorResponse(w.error());
  return JsonResponse(200, OperationalWebhookJson(*w, false));
}

HttpResponse Api::PatchOperationalWebhook(const HttpRequest& request, const PathParams& params,
                                          const Principal& principal) {
  auto body = ReadJsonBody(request);
  if (!body) return ErrorResponse(body.error());
  auto w = LoadOperationalWebhook(params, principal);
  if (!w) return ErrorResponse(w.error());
  if (auto st = ApplyOperationalFields(*body, false, config_.allow_http, *w); !st) return ErrorResponse(st.error());
  w->updated_at_ms = clock_.NowMs();
  auto updated = store_.UpdateOperationalWebhook(*w);
  if (!updated) return ErrorResponse(updated.error());
  work_.OnWebhookChanged(w->id);
  return JsonResponse(200, OperationalWebhookJson(*updated, false));
}

HttpResponse Api::DeleteOperationalWebhook(const HttpRequest&, const PathParams& params, const Principal& principal) {
  auto w = LoadOperationalWebhook(params, principal);
  if (!w) return ErrorResponse(w.error());
  if (auto st = store_.DeleteOperationalWebhook(w->id); !st) return ErrorResponse(st.error());
  work_.OnWebhookChanged(w->id);
  return EmptyResponse(204);
}

HttpResponse Api::ListOperationalDeliveries(const HttpRequest& request, const PathParams& params,
                                            const Principal& principal) {
  auto w = LoadOperationalWebhook(params, principal);
  if (!w) return ErrorResponse(w.error());
  DeliveryFilter filter;
  filter.webhook_id = w->id;
  return RenderDeliveries(OperationalDeliveryAccount(*w), std::move(filter), request);
}

}  // namespace hookd
