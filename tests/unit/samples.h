// Values the unit tests build again and again: a webhook of an account, subscribed to everything, with a valid
// signing secret.
#pragma once

#include <cstdint>
#include <string>

#include "common/ids.h"
#include "domain/model.h"

namespace hookd::testing {

inline constexpr const char* kSampleSecret = "whsec_c3RvcmVjb25mb3JtYW5jZXNlY3JldGtleTAxMjM0NTY3";

inline Webhook SampleWebhook(const std::string& account_id, int64_t now_ms) {
  Webhook w;
  w.id = NewId("wh_");
  w.account_id = account_id;
  w.url = "https://receiver.example/hooks";
  w.events = {"*"};
  w.rate_limit = 10;
  w.secret = kSampleSecret;
  w.created_at_ms = w.updated_at_ms = now_ms;
  return w;
}

}  // namespace hookd::testing
