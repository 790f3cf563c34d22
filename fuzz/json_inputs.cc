// Fuzzes the JSON request bodies of webhooks (create and PATCH), events (single and batch items) and accounts:
// parsing with the depth guard and the duplicate-member check, then every field reader. Properties: the
// serialization of a body that parses (what hookd stores of an event's data) parses again to the same values; a
// webhook the readers accept has a URL that parses for delivery and a valid environment. (Doubles are compared to
// a relative 1e-15: Boost.JSON's number parse is not correctly rounded, so a number of more than 17 digits may
// come back an ulp or two off.)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "api/account_input.h"
#include "api/event_input.h"
#include "api/webhook_input.h"
#include "common/json.h"
#include "delivery/delivery_target.h"
#include "domain/webhook_rules.h"
#include "fuzz_checks.h"

using namespace hookd;

namespace {

// `a` and `b` hold the same members, in the same order, with the same values (doubles to a relative 1e-15).
bool SameJson(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (const json::array* xs = a.if_array()) {
    const json::array& ys = b.get_array();
    if (xs->size() != ys.size()) return false;
    for (size_t i = 0; i < xs->size(); ++i) {
      if (!SameJson((*xs)[i], ys[i])) return false;
    }
    return true;
  }
  if (const json::object* xs = a.if_object()) {
    const json::object& ys = b.get_object();
    if (xs->size() != ys.size()) return false;
    for (auto x = xs->begin(), y = ys.begin(); x != xs->end(); ++x, ++y) {
      if (x->key() != y->key() || !SameJson(x->value(), y->value())) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const EventCatalog catalog;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = ParseJsonObject(text);
  if (!body) {
    fuzz::Check(body.error().HttpStatus() == 400 || body.error().HttpStatus() == 422, "a parse error is not a 4xx",
                body.error().message);
    return 0;
  }
  const std::string serialized = SerializeJson(*body);
  auto again = ParseJsonObject(serialized);
  fuzz::Check(again.has_value() && SameJson(*again, *body), "a parsed body's serialization does not read back the same",
              serialized);

  for (const bool creating : {true, false}) {
    Webhook webhook;
    webhook.url = "https://example.com/hook";
    webhook.environment = "production";
    if (ApplyWebhookFields(*body, creating, WebhookInputRules{true, 100}, catalog, webhook)) {
      fuzz::Check(ParseDeliveryTarget(webhook.url).has_value(), "an accepted webhook URL does not parse", webhook.url);
      fuzz::Check(!CheckEnvironment(webhook.environment), "an accepted environment is invalid", webhook.environment);
    }
    Account account;
    (void)ApplyAccountFields(*body, creating, account);
  }
  (void)ReadEventFields(*body, "", catalog, 1'900'000'000'000);
  if (const json::value* events = body->if_contains("events"); events && events->is_array()) {
    size_t i = 0;
    for (const json::value& item : events->as_array()) {
      if (item.is_object())
        (void)ReadEventFields(item.as_object(), "events[" + std::to_string(i) + "].", catalog, 1'900'000'000'000);
      if (++i > kMaxBatchEvents) break;
    }
  }
  return 0;
}
