// Reads and validates the writable fields of an account (name, email) from a JSON body, on create or PATCH. Pure.
#pragma once

#include "common/json.h"
#include "common/result.h"
#include "domain/model.h"

namespace hookd {

// Applies the fields present in `body` to `account`; on create, `name` is required. 422 on a bad field.
[[nodiscard]] Status ApplyAccountFields(const json::object& body, bool creating, Account& account);

}  // namespace hookd
