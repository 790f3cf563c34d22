// The access rules, in the order they are decided.
#include "api/access_policy.h"

namespace hookd {

Status Authorize(Access route, const Result<Principal>& caller, std::string_view method) {
  if (route == Access::kPublic) return Ok();
  if (!caller) return Fail(caller.error());
  if (route == Access::kAdmin && !caller->admin) {
    return Fail(Error::Unauthorized("this endpoint requires the admin token"));
  }
  if (caller->portal) {  // a browser signed in with a portal link
    if (route == Access::kPlatform) {
      return Fail(Error::Forbidden("forbidden", "a portal session cannot do this; use an API key"));
    }
    if (*caller->portal == PortalAccess::kRead && method != "GET" && method != "HEAD") {
      return Fail(Error::Forbidden("read_only", "this portal session can view but not change"));
    }
  }
  return Ok();
}

}  // namespace hookd
