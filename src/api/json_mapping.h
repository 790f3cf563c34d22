// The JSON shapes of the API's objects (SPEC §3): one function per noun, so every endpoint renders an object
// the same way. Pure.
#pragma once

#include "common/json.h"
#include "domain/catalog.h"
#include "domain/model.h"
#include "store/store.h"

namespace hookd {

[[nodiscard]] json::object AccountJson(const Account& account);
[[nodiscard]] json::object ApiKeyJson(const ApiKey& key);
[[nodiscard]] json::object PortalSessionJson(const PortalSession& session);
[[nodiscard]] json::object WebhookJson(const Webhook& webhook, bool include_secret);
[[nodiscard]] json::object EventJson(const Event& event);
[[nodiscard]] json::object AcceptedEventJson(const AcceptedEvent& accepted);
[[nodiscard]] json::object DeliveryJson(const Delivery& delivery);
[[nodiscard]] json::object AttemptJson(const Attempt& attempt);
[[nodiscard]] json::object CatalogJson(const std::vector<EventType>& types);
[[nodiscard]] json::object EventTypeJson(const EventType& type);

// {"data": [...], "next_cursor": "…" | null}
template <class T, class Fn>
json::object PageJson(const Page<T>& page, Fn&& render) {
  json::array data;
  for (const T& item : page.data) data.push_back(render(item));
  json::object out{{"data", std::move(data)}};
  out["next_cursor"] = page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr);
  return out;
}

}  // namespace hookd
