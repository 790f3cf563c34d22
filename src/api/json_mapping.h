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
// An ed25519 webhook shows its key_id and public_key, never its key; an HMAC one its secret when asked.
[[nodiscard]] json::object WebhookJson(const Webhook& webhook, bool include_secret);
// What the reveal and rotate endpoints answer: the HMAC secret, or an ed25519 webhook's `signing`, public key and
// key id.
[[nodiscard]] json::object SigningKeyJson(const Webhook& webhook);
// The account's JWKS (RFC 7517): the public key of every ed25519 webhook, and of a key being rotated out while it
// still signs.
[[nodiscard]] json::object JwksJson(const std::vector<Webhook>& webhooks, int64_t now_ms);
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
