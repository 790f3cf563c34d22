// A webhook's endpoint credentials (SPEC §10) as they are sealed at rest: one JSON document, so every credential a
// webhook may carry is sealed, and re-sealed by a master key rotation, as one value beside its signing secrets.
// Pure.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "domain/model.h"

namespace hookd {

// The credentials of `w` as a JSON document; "" when it has none (the column is then NULL).
[[nodiscard]] std::string CredentialsJson(const Webhook& w);
// Sets the credentials of `w` from a document CredentialsJson wrote.
[[nodiscard]] Status ReadCredentialsJson(std::string_view text, Webhook& w);

}  // namespace hookd
