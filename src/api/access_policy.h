// Who may call what (SPEC §3), as one pure function: the caller (or why it could not be authenticated) against the
// route's class and the request's method. Api::Dispatch asks it before every handler; tests/unit/api_handle_test.cc
// checks every rule on every route class.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "domain/model.h"

namespace hookd {

// Who is calling: the admin, one account's API key, or a portal session of one account.
struct Principal {
  bool admin = false;
  std::string account_id;  // the key's account (empty for the admin)
  std::string credential;  // a stable name for rate limiting and the access log: key id, session id or "admin"
  std::optional<PortalAccess> portal;  // set for a portal session: what the signed-in browser may do
};

// The classes of route. kAccount: an account's API key, a portal session, or the admin acting for an account.
// kPlatform: the same but not a portal session (what only the platform's backend does: emit events, open portal
// sessions). kAdmin: the admin token alone.
enum class Access { kPublic, kAccount, kPlatform, kAdmin };

// Ok, or the error to answer: the authentication failure itself (401) for a caller that is not known, 401 for a
// non-admin on an admin route, 403 `forbidden` for a portal session on a platform route, 403 `read_only` for a read
// portal session asking to change anything.
[[nodiscard]] Status Authorize(Access route, const Result<Principal>& caller, std::string_view method);

}  // namespace hookd
